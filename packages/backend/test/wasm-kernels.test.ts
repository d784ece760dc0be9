import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { heapMemory } from '../src/wasm/kernels/heap.js';
import { useFastestBackend } from '../src/index.js';
import {
  CONV_CASES,
  convTitle,
  expectConvMatches,
  expectFusedMatMulMatches,
  expectMatMulMatches,
  FUSED_MATMUL_CASES,
  fusedTitle,
  MATMUL_CASES,
  matMulTitle,
} from './cases.js';
import { expectMatch, onCpuAndWasm, rand } from './compare.js';

// Every kernel this package replaces or adds on wasm, forward and gradient, against tfjs's cpu
// backend on random inputs, to 1e-4 relative.
beforeAll(async () => {
  // XNNPACK's paths: the native engine (onnxruntime) has its own tests (native.test.ts).
  const choice = await useFastestBackend({ backend: 'wasm', native: false });
  expect(choice.notes.join(' ')).toMatch(
    /wasm training kernels: Transpose, Identity, BatchMatMul, _FusedMatMul, Conv2D, FusedConv2D, Conv2DBackpropFilter, Conv2DBackpropInput, Sum, Mean, FusedBatchNorm, MaxPoolGrad, XclrReluGrad, Slice, SplitV, Concat, Reverse, Tile, OneHot, Cast, Equal, NotEqual, Greater, GreaterEqual, Less, LessEqual/,
  );
});

describe('BatchMatMul on wasm matches cpu', () => {
  for (const c of MATMUL_CASES) it(matMulTitle(c), () => expectMatMulMatches(c));
});

describe('fused MatMul (bias, activation) on wasm matches cpu', () => {
  for (const c of FUSED_MATMUL_CASES) it(fusedTitle(c), () => expectFusedMatMulMatches(c));
});

describe('conv2d gradients on wasm match cpu', () => {
  // Filter gradient: at most 32 weights per output channel take im2col; at least 512 on maps
  // whose phase grid is mostly output take the tap windows (several blocks of positions for the
  // 48 × 48 case); the rest the Conv2D composition. Input gradient: one convolution per phase of
  // the stride (strides 1, 2, 3, 2 × 1, padding before the input larger than the filter reach,
  // empty phases).
  for (const c of CONV_CASES) it(convTitle(c), () => expectConvMatches(c));
});

describe('training steps on wasm match cpu', () => {
  it('a ConvNet + MLP forward and backward (conv, pool, dense, batch statistics)', async () => {
    const { cpu, wasm } = await onCpuAndWasm(() => {
      const x = rand([8, 12, 12, 1]) as tf.Tensor4D;
      const w1 = tf.mul(rand([3, 3, 1, 8]), 0.3);
      const w2 = tf.mul(rand([3, 3, 8, 16]), 0.1);
      const w3 = tf.mul(rand([3 * 3 * 16, 10]), 0.1);
      const net = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
        let h = tf.relu(tf.conv2d(x, a as tf.Tensor4D, 1, 'same')) as tf.Tensor4D;
        h = tf.maxPool(h, 2, 2, 'valid');
        h = tf.relu(tf.conv2d(h, b as tf.Tensor4D, 1, 'same'));
        const { mean, variance } = tf.moments(h, [0, 1, 2]);
        h = tf.batchNorm(h, mean, variance, tf.zeros([16]), tf.ones([16]), 1e-3) as tf.Tensor4D;
        h = tf.avgPool(h, 2, 2, 'valid');
        return tf.matMul(tf.reshape(h, [8, -1]), c);
      };
      const out = net(w1, w2, w3);
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.mean(tf.square(net(a, b, c))))([w1, w2, w3]);
      return [out, ...grads];
    });
    // A whole network compounds float32 rounding (batch statistics): 1e-3 of each output's range.
    expectMatch(cpu, wasm, 1e-3, 1);
  });
});

describe('Transpose on wasm matches cpu', () => {
  const cases: [number[], number[]][] = [
    [
      [37, 53],
      [1, 0],
    ],
    [
      [300, 7],
      [1, 0],
    ],
    [
      [4, 5, 6],
      [0, 2, 1],
    ],
    [
      [4, 5, 6],
      [1, 0, 2],
    ],
    [
      [4, 5, 6],
      [2, 1, 0],
    ],
    [
      [4, 5, 6],
      [1, 2, 0],
    ],
    [
      [3, 1, 4, 5],
      [3, 1, 2, 0],
    ],
    [
      [6, 7, 8, 9],
      [3, 1, 2, 0],
    ],
    [
      [6, 7, 8, 9],
      [1, 2, 0, 3],
    ],
    [
      [2, 3, 4, 5, 6],
      [4, 0, 3, 1, 2],
    ],
    [
      [5, 1, 1],
      [2, 0, 1],
    ],
  ];
  for (const [shape, perm] of cases) {
    it(`[${shape}] by [${perm}], float32 and int32`, async () => {
      const { cpu, wasm } = await onCpuAndWasm(() => {
        const x = rand(shape);
        return [tf.transpose(x, perm), tf.cast(tf.transpose(tf.cast(tf.mul(x, 1000), 'int32'), perm), 'float32')];
      });
      expectMatch(cpu, wasm, 0);
    });
  }

  it('bool tensors go to the stock kernel', async () => {
    const { cpu, wasm } = await onCpuAndWasm(() => tf.cast(tf.transpose(tf.greater(rand([3, 4, 5]), 0), [2, 0, 1]), 'float32'));
    expectMatch(cpu, wasm, 0);
  });
});

// Exact copies: float32 through the short-run loop and memmove paths, int32 and bool alike.
const asFloat = (x: tf.Tensor, f: (t: tf.Tensor) => tf.Tensor) => [
  f(x),
  tf.cast(f(tf.cast(tf.mul(x, 1000), 'int32')), 'float32'),
  tf.cast(f(tf.greater(x, 0)), 'float32'),
];

describe('Slice and SplitV on wasm match cpu', () => {
  const cases: [number[], number[], number[]][] = [
    [[4096], [17], [3000]],
    [
      [64, 300],
      [10, 0],
      [20, 300],
    ], // whole rows: one run
    [
      [64, 300],
      [0, 5],
      [64, 7],
    ], // short runs per row
    [
      [64, 300],
      [3, 40],
      [50, 200],
    ],
    [
      [5, 6, 7, 8],
      [1, 2, 0, 0],
      [3, 3, 7, 8],
    ],
    [
      [5, 6, 7, 8],
      [1, 0, 2, 3],
      [2, 6, 4, 5],
    ],
    [
      [5, 6, 7, 40],
      [0, 1, 1, 0],
      [5, 4, 5, 40],
    ],
    [
      [2, 3, 4, 5, 20],
      [1, 1, 0, 2, 0],
      [1, 2, 4, 3, 20],
    ],
    [
      [9, 9],
      [2, 2],
      [0, 4],
    ], // empty
  ];
  for (const [shape, begin, size] of cases) {
    it(`[${shape}] from [${begin}] size [${size}]`, async () => {
      const { cpu, wasm } = await onCpuAndWasm(() => asFloat(rand(shape), (t) => tf.slice(t, begin, size)));
      expectMatch(cpu, wasm, 0);
    });
  }

  it('split into sizes along each axis, and the gradient of slice', async () => {
    const { cpu, wasm } = await onCpuAndWasm(() => {
      const x = rand([6, 40, 10]);
      const parts = [...tf.split(x, [1, 5], 0), ...tf.split(x, [10, 20, 10], 1), ...tf.split(x, 5, 2)];
      const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.slice(t, [1, 3, 2], [4, 30, 5]), 3)))(x);
      return [...parts, grad];
    });
    expectMatch(cpu, wasm, 0);
  });
});

describe('Concat on wasm matches cpu', () => {
  for (const [shapes, axis] of [
    [
      [
        [3, 4],
        [5, 4],
      ],
      0,
    ],
    [
      [
        [300, 64],
        [300, 3],
        [300, 100],
      ],
      1,
    ],
    [
      [
        [4, 5, 6],
        [4, 2, 6],
        [4, 0, 6],
        [4, 7, 6],
      ],
      1,
    ],
    [
      [
        [4, 5, 6, 2],
        [4, 5, 6, 30],
      ],
      -1,
    ],
    [[[2048], [10]], 0],
  ] as [number[][], number][]) {
    it(`${shapes.map((s) => `[${s}]`).join(' + ')} on axis ${axis}, and its gradient`, async () => {
      const { cpu, wasm } = await onCpuAndWasm(() => {
        const xs = shapes.map((s) => rand(s));
        const ints = tf.cast(
          tf.concat(
            xs.map((x) => tf.cast(tf.mul(x, 1000), 'int32')),
            axis,
          ),
          'float32',
        );
        const bools = tf.cast(
          tf.concat(
            xs.map((x) => tf.greater(x, 0)),
            axis,
          ),
          'float32',
        );
        const grads = tf.grads((...ts: tf.Tensor[]) => tf.sum(tf.mul(tf.concat(ts, axis), tf.concat(xs, axis))))(xs);
        return [tf.concat(xs, axis), ints, bools, ...grads];
      });
      expectMatch(cpu, wasm, 0);
    });
  }
});

describe('Reverse on wasm matches cpu', () => {
  for (const [shape, dims] of [
    [
      [3, 3, 40, 24],
      [0, 1],
    ], // Conv2DBackpropInput's filter flip
    [[3, 3, 4, 5], [1]],
    [[5, 6, 7], [2]],
    [
      [5, 6, 7],
      [0, 2],
    ],
    [
      [5, 6, 7],
      [0, 1, 2],
    ],
    [[50], [0]],
    [[4, 5], []],
  ]) {
    it(`[${shape}] over [${dims}], float32, int32 and bool`, async () => {
      const { cpu, wasm } = await onCpuAndWasm(() => asFloat(rand(shape), (t) => tf.reverse(t, dims)));
      expectMatch(cpu, wasm, 0);
    });
  }
});

describe('Tile on wasm matches cpu', () => {
  for (const [shape, reps] of [
    [
      [1, 1, 1, 64],
      [8, 5, 5, 1],
    ], // the batch-norm gradient's tile
    [
      [3, 4],
      [2, 3],
    ],
    [
      [3, 40],
      [1, 2],
    ],
    [
      [2, 1, 3],
      [2, 4, 1],
    ],
    [[7], [5]],
    [
      [2, 3, 4],
      [1, 1, 1],
    ],
    [
      [2, 3],
      [0, 2],
    ],
  ]) {
    it(`[${shape}] by [${reps}], float32, int32 and bool, and its gradient`, async () => {
      const { cpu, wasm } = await onCpuAndWasm(() => {
        const x = rand(shape);
        const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.tile(t, reps))))(x);
        return [...asFloat(x, (t) => tf.tile(t, reps)), grad];
      });
      expectMatch(cpu, wasm, 0);
    });
  }
});

describe('broadcasting comparisons on wasm match cpu', () => {
  const ops = [tf.equal, tf.notEqual, tf.greater, tf.greaterEqual, tf.less, tf.lessEqual];
  for (const [aShape, bShape] of [
    [
      [300, 1],
      [1, 200],
    ],
    [
      [300, 200],
      [300, 1],
    ],
    [[300, 200], [200]],
    [[7], [5, 1]],
    [
      [4, 1, 6, 1],
      [5, 1, 3],
    ],
    [[6, 7], []],
    [
      [3, 4],
      [3, 4],
    ], // equal shapes: the stock kernel
  ]) {
    it(`[${aShape}] against [${bShape}], float32, int32 and bool`, async () => {
      const { cpu, wasm } = await onCpuAndWasm(() => {
        // Small integers so that ties (equal values) occur.
        const a = tf.round(tf.mul(rand(aShape), 2));
        const b = tf.round(tf.mul(rand(bShape), 2));
        const ai = tf.cast(a, 'int32');
        const bi = tf.cast(b, 'int32');
        return ops.flatMap((op) =>
          [op(a, b), op(ai, bi), op(tf.greater(a, 0), tf.greater(b, 0))].map((t) => tf.cast(t, 'float32')),
        );
      });
      expectMatch(cpu, wasm, 0);
    });
  }
});

describe('Sum and Mean on wasm match cpu', () => {
  // Leading axes go through average pooling (in two halves from 64 rows on), trailing axes through
  // SIMD row sums; other axes to the stock kernels.
  for (const [shape, axis, keepDims] of [
    [[64, 5, 5, 7], [0, 1, 2], false],
    [[64, 5, 5, 7], [0, 1, 2], true],
    [[300, 9], 0, false],
    [[301, 9], 0, false],
    [[16, 32, 32, 24], [0, 1, 2], false],
    [[64, 40, 40, 8], [0, 1, 2], false], // windows of 51,200 rows
    [[3, 70001, 2], [0, 1], false], // one window of 210,003 rows (an odd count)
    [[6, 7, 8], [0, 2], false],
    [[6, 7, 8], -1, true],
    [[6, 7, 8], [0, 1, 2], false],
    [[3, 4, 5], [0, 1], true],
    // Trailing axes (rows of the loss matrices): SIMD row sums, with rows not a multiple of 4.
    [[512, 2051], 1, false],
    [[5, 3], -1, true],
    [[4, 6, 10], [1, 2], false],
  ] as [number[], number | number[], boolean][]) {
    it(`[${shape}] over ${JSON.stringify(axis)}${keepDims ? ', keepDims' : ''}`, async () => {
      const { cpu, wasm } = await onCpuAndWasm(() => {
        // An offset keeps the means away from zero, where only absolute error means anything.
        const x = tf.add(rand(shape), 0.5);
        return [tf.sum(x, axis, keepDims), tf.mean(x, axis, keepDims)];
      });
      expectMatch(cpu, wasm);
    });
  }
});

describe('Cast int32 → float32 on wasm (SIMD) matches cpu', () => {
  for (const shape of [[7, 5], [4096], [3]]) {
    it(`[${shape}]`, async () => {
      const { cpu, wasm } = await onCpuAndWasm(() => tf.cast(tf.cast(tf.mul(rand(shape), 1e6), 'int32'), 'float32'));
      expectMatch(cpu, wasm, 0);
    });
  }
});

describe('FusedBatchNorm on wasm matches cpu', () => {
  const cases: [string, number[], number[], boolean][] = [
    ['NHWC with [C] statistics, offset and scale', [8, 6, 6, 16], [16], true],
    ['NHWC with [1, 1, 1, C] statistics', [4, 5, 5, 8], [1, 1, 1, 8], true],
    ['[N, C]', [32, 12], [12], true],
    // tfjs-core cannot take this gradient on any backend (it saves the missing offset): forward only.
    ['[N, C] without offset and scale', [32, 12], [12], false],
    ['statistics per element (stock kernel)', [4, 3, 5], [4, 3, 5], true],
  ];
  for (const [name, xShape, statShape, affine] of cases) {
    it(`${name}${affine ? ', with gradients' : ''}`, async () => {
      const { cpu, wasm } = await onCpuAndWasm(() => {
        const x = rand(xShape);
        const mean = rand(statShape);
        const variance = tf.add(tf.abs(rand(statShape)), 0.1);
        const offset = affine ? rand(statShape) : undefined;
        const scale = affine ? rand(statShape) : undefined;
        const f = (a: tf.Tensor) => tf.batchNorm(a, mean, variance, offset, scale, 1e-3);
        const weight = rand(xShape);
        if (!affine) return [f(x)];
        return [f(x), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), weight)))(x)];
      });
      expectMatch(cpu, wasm);
    });
  }
});

describe('OneHot on wasm matches cpu', () => {
  // The stock wasm kernel wrote int32 bit patterns into float32 outputs.
  for (const [name, on, off, dtype] of [
    ['float32 1 / 0', 1, 0, 'float32'],
    ['float32 0 / 1', 0, 1, 'float32'],
    ['float32 -1e9 / 0.5', -1e9, 0.5, 'float32'],
    ['int32 (stock kernel)', 3, -2, 'int32'],
  ] as [string, number, number, 'float32' | 'int32'][]) {
    it(`${name}, indices out of range give off everywhere`, async () => {
      const { cpu, wasm } = await onCpuAndWasm(() =>
        tf.cast(tf.oneHot(tf.tensor2d([0, 4, 2, -1, 5, 1], [2, 3], 'int32'), 5, on, off, dtype), 'float32'),
      );
      expectMatch(cpu, wasm, 0);
    });
  }
});

describe('MaxPoolGrad on wasm matches cpu', () => {
  it('finds the heap memory its SIMD path runs on', async () => {
    await tf.setBackend('wasm');
    expect(heapMemory(tf.backend())).not.toBeNull();
  });
  for (const [shape, size, stride, pad] of [
    // Windows tiling the input (the branch-free path; rows and columns past the last window get
    // no gradient), then windows past the input's edge and overlapping windows (the search).
    [[4, 8, 8, 3], 2, 2, 'valid'],
    [[3, 7, 9, 6], 2, 2, 'valid'],
    // 2 × 2 tiles with channels in fours: the WebAssembly SIMD path, in place on the heap.
    [[4, 8, 8, 8], 2, 2, 'valid'],
    [[3, 7, 9, 12], 2, 2, 'valid'],
    [[2, 6, 10, 16], 2, 2, 'same'],
    [[2, 11, 10, 4], 3, 3, 'valid'],
    [[4, 9, 9, 3], 2, 2, 'same'],
    [[2, 9, 9, 5], 3, 2, 'same'],
    [[2, 10, 7, 4], 3, 1, 'valid'],
  ] as [number[], number, number, 'same' | 'valid'][]) {
    it(`[${shape}] pool ${size} stride ${stride} ${pad}, with ties`, async () => {
      const { cpu, wasm } = await onCpuAndWasm(() => {
        // Rounded values make ties frequent: the gradient must go to the first maximum, as on cpu.
        const x = tf.round(tf.mul(rand(shape), 1.5));
        return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, size, stride, pad), 3)))(x);
      });
      expectMatch(cpu, wasm);
    });
  }
});

describe('ReLU gradient on wasm (one SIMD pass) matches cpu', () => {
  for (const shape of [[3, 5, 7, 4], [4099], [2, 3]]) {
    it(`[${shape}] with zeros, ties at 0 and a NaN`, async () => {
      const { cpu, wasm } = await onCpuAndWasm(() => {
        // Rounded values give exact zeros (and −0); one NaN shows the NaN passes through.
        const x = tf.reshape(tf.round(tf.mul(rand(shape), 2)), [-1]);
        const withNaN = tf.reshape(tf.concat([tf.tensor1d([Number.NaN]), tf.slice(x, 1)]), shape);
        const w = rand(shape);
        return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.relu(a), w)))(withNaN);
      });
      // Exactly equal, NaN where cpu has NaN (±0 count as equal).
      const same = Array.from(cpu[0]).every((c, i) => (Number.isNaN(c) ? Number.isNaN(wasm[0][i]) : c === wasm[0][i]));
      expect(Number.isNaN(cpu[0][0])).toBe(true);
      expect(same).toBe(true);
    });
  }

  it('runs as one kernel, and a second derivative takes the stock, differentiable path', async () => {
    await tf.setBackend('wasm');
    const x = rand([64, 8]);
    const profile = await tf.profile(() => tf.grad((a: tf.Tensor) => tf.sum(tf.square(tf.relu(a))))(x));
    expect(profile.kernels.map((k) => k.name)).toContain('XclrReluGrad');
    expect(profile.kernels.map((k) => k.name)).not.toContain('Step');
    const { cpu, wasm } = await onCpuAndWasm(() =>
      tf.grad((a: tf.Tensor) => tf.sum(tf.grad((b: tf.Tensor) => tf.sum(tf.mul(tf.relu(b), b)))(a)))(rand([6, 5])),
    );
    expectMatch(cpu, wasm);
    x.dispose();
  });
});

describe('Identity on wasm shares the buffer', () => {
  it('a clone outlives its source, variables assigned from clones keep their values, and nothing leaks', async () => {
    await useFastestBackend({ backend: 'wasm', native: false });
    const before = tf.memory();
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const y = tf.clone(x);
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1, 2, 3, 4]);
    const v = tf.variable(y);
    y.dispose();
    const next = tf.tidy(() => tf.add(v, 1) as tf.Tensor2D);
    v.assign(next);
    next.dispose();
    expect(Array.from(await v.data())).toEqual([2, 3, 4, 5]);
    const strings = tf.tensor1d(['a', 'b'], 'string');
    const s = tf.clone(strings);
    strings.dispose();
    expect(await s.data()).toEqual(['a', 'b']);
    tf.dispose([v, s]);
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });

  it('gradients through kernels that save their inputs match cpu', async () => {
    const { cpu, wasm } = await onCpuAndWasm(() => {
      const x = rand([16, 12]);
      return tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.logSoftmax(tf.matMul(a, b) as tf.Tensor2D), tf.exp(tf.slice(a, [0, 0], [16, 1])))),
      )([x, rand([12, 9])]);
    });
    expectMatch(cpu, wasm);
  });
});
