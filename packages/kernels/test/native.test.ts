import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from './backends.js';
import { matMulGraph } from '../src/native/native-matmul.js';
import { NativeSessions } from '../src/native/native-sessions.js';
import { nativeEngine, setNativeEngine } from '../src/native/set-up.js';
import { loadNativeRuntime } from '../src/native/onnxruntime.js';
import {
  CONV_CASES,
  type ConvCase,
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
import { IM2COL_MAX_PATCH } from '../src/core/im2col.js';

// The native engine (onnxruntime-node's MLAS) behind the wasm backend's matmuls, convolutions and
// stride-1 filter gradients, against tfjs's cpu backend. Its size thresholds are set to 0 here so that
// every case, small ones included, runs natively; the thresholds themselves are measured in
// bench/kernels.bench.ts.
let defaultEngine: NativeSessions | null = null;

/**
 * An engine on the same runtime that takes every kernel, however small; convolutions and filter
 * gradients through onnxruntime's Conv and the tap windows, or with `im2col` through im2col and
 * one Gemm (every map counts as small); with `tapBlockBytes`, stride-1 filter gradients as the
 * tap windows in blocks of images of that many bytes of grid.
 */
const withoutThresholds = (im2col = false, nchwc = true, tapBlockBytes = 0) =>
  new NativeSessions((defaultEngine as NativeSessions).runtime, {
    matMulMinMacs: 0,
    filterGradientMinMacs: 0,
    convMinChannels: 0,
    convMinMacs: 0,
    im2colMaxPixels: im2col ? Number.POSITIVE_INFINITY : 0,
    filterGradientIm2colMaxPixels: im2col ? Number.POSITIVE_INFINITY : 0,
    nchwcConv: nchwc,
    nchwcFilterGradient: nchwc,
    // The tap windows in image blocks only where a test asks (blocks of `tapBlockBytes`).
    tapBlocksMinChannels: 0,
    tapBlocksMaxChannels: tapBlockBytes > 0 ? Number.POSITIVE_INFINITY : 0,
    tapBlockBytes,
    tapBlocksMinBatchBytes: 0,
  });

/** Conv2DBackpropInput of a case alone (no filter gradient beside it) against cpu. */
async function expectInputGradientMatches(c: ConvCase): Promise<void> {
  const { cpu, wasm } = await onCpuAndWasm(() => {
    const w = rand(c.f) as tf.Tensor4D;
    const dy = rand(tf.conv2d(rand(c.x) as tf.Tensor4D, w, c.strides, c.pad).shape);
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x };
    return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, attrs) as tf.Tensor;
  });
  expectMatch(cpu, wasm, 1e-4, c.floor);
}

/** The graphs `engine` ran since `before` (a copy of its runsByGraph), by route: the key before its spec. */
function routesSince(engine: NativeSessions, before: Map<string, number>): Record<string, number> {
  const routes: Record<string, number> = {};
  for (const [key, runs] of engine.runsByGraph) {
    const added = runs - (before.get(key) ?? 0);
    if (added === 0) continue;
    const route = key.split(' {')[0];
    routes[route] = (routes[route] ?? 0) + added;
  }
  return routes;
}

beforeAll(async () => {
  const choice = await useBackend('wasm');
  expect(choice.notes.join('; ')).toMatch(/large matmuls and convolutions on onnxruntime-node 1\.30\.\d+/);
  defaultEngine = nativeEngine();
  expect(defaultEngine).not.toBeNull();
  setNativeEngine(withoutThresholds());
});

afterAll(() => {
  setNativeEngine(defaultEngine)?.dispose();
});

describe('matmuls on the native engine match cpu', () => {
  for (const c of MATMUL_CASES) it(matMulTitle(c), () => expectMatMulMatches(c));
  for (const c of FUSED_MATMUL_CASES) it(`fused: ${fusedTitle(c)}`, () => expectFusedMatMulMatches(c));

  it('a batched fused product with a per-row-and-column bias and relu', async () => {
    const { cpu, wasm } = await onCpuAndWasm(() => {
      const a = rand([3, 20, 16]);
      const b = rand([3, 16, 12]);
      const bias = rand([20, 12]);
      return tf.fused.matMul({ a: a as tf.Tensor3D, b: b as tf.Tensor3D, bias, activation: 'relu' });
    });
    expectMatch(cpu, wasm);
  });

  it('a dense layer trained for 30 steps leaks no tensors and no wasm memory', async () => {
    const w = tf.variable(tf.mul(rand([64, 32]), 0.1));
    const x = rand([128, 64]);
    const target = rand([128, 32]);
    const optimizer = tf.train.adam(0.01);
    const step = () =>
      optimizer.minimize(() => tf.mean(tf.square(tf.sub(tf.relu(tf.matMul(x, w)), target))) as tf.Scalar, true, [w]);
    tf.dispose(step() ?? []);
    const before = tf.memory();
    const losses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const loss = step() as tf.Scalar;
      losses.push((await loss.data())[0]);
      loss.dispose();
    }
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    expect(losses.at(-1)).toBeLessThan(losses[0]);
    tf.dispose([w, x, target]);
    optimizer.dispose();
  });
});

describe('large 2-D products run in blocks of rows', () => {
  // 5 rows of 12 columns per run here (16 MB in training), so that each case takes several runs.
  const blocked = () =>
    new NativeSessions((defaultEngine as NativeSessions).runtime, { matMulMinMacs: 0, outputBlockBytes: 5 * 12 * 4 });
  const cases: [string, () => tf.Tensor, number][] = [
    ['a · b, 23 rows: 5 runs', () => tf.matMul(rand([23, 16]), rand([16, 12])), 5],
    [
      'a · bᵀ with a bias per column and relu',
      () =>
        tf.fused.matMul({
          a: rand([11, 16]) as tf.Tensor2D,
          b: rand([12, 16]) as tf.Tensor2D,
          transposeB: true,
          bias: rand([12]),
          activation: 'relu',
        }),
      3,
    ],
    ['aᵀ · b (rows of A not contiguous): one run', () => tf.matMul(rand([16, 11]), rand([16, 12]), true, false), 1],
    [
      'a bias per row and column: one run',
      () => tf.fused.matMul({ a: rand([11, 16]) as tf.Tensor2D, b: rand([16, 12]) as tf.Tensor2D, bias: rand([11, 12]) }),
      1,
    ],
  ];
  for (const [title, product, runs] of cases) {
    it(title, async () => {
      const previous = setNativeEngine(blocked());
      try {
        const engine = nativeEngine() as NativeSessions;
        const { cpu, wasm } = await onCpuAndWasm(product);
        expectMatch(cpu, wasm);
        expect(engine.runs).toBe(runs);
      } finally {
        setNativeEngine(previous)?.dispose();
      }
    });
  }
});

describe('large convolutions run in blocks of images', () => {
  // two images' output per run here (16 MB in training), so that 5 images take 3 runs
  const blocked = (perImage: number) =>
    new NativeSessions((defaultEngine as NativeSessions).runtime, {
      convMinChannels: 4,
      convMinMacs: 0,
      outputBlockBytes: 2 * perImage * 4,
    });
  const cases: [string, () => tf.Tensor, number, string][] = [
    [
      'NCHWc, bias and relu',
      () =>
        tf.fused.conv2d({
          x: rand([5, 6, 6, 16]) as tf.Tensor4D,
          filter: rand([3, 3, 16, 16]) as tf.Tensor4D,
          strides: 1,
          pad: 'same',
          bias: rand([16]),
          activation: 'relu',
        }),
      6 * 6 * 16,
      'nchwc conv2d',
    ],
    [
      'generic Conv (6 channels)',
      () => tf.conv2d(rand([5, 7, 7, 6]) as tf.Tensor4D, rand([3, 3, 6, 8]) as tf.Tensor4D, 1, 'valid'),
      5 * 5 * 8,
      'conv2d',
    ],
    [
      'a strided input gradient (ConvTranspose)',
      () => tf.conv2dTranspose(rand([5, 8, 8, 16]) as tf.Tensor4D, rand([3, 3, 8, 16]) as tf.Tensor4D, [5, 16, 16, 8], 2, 'same'),
      16 * 16 * 8,
      'conv transpose',
    ],
  ];
  for (const [title, conv, perImage, route] of cases) {
    it(`${title}: 5 images in 3 runs`, async () => {
      const previous = setNativeEngine(blocked(perImage));
      try {
        const engine = nativeEngine() as NativeSessions;
        const { cpu, wasm } = await onCpuAndWasm(conv);
        expectMatch(cpu, wasm);
        const runs = [...engine.runsByGraph].filter(([key]) => key.startsWith(`${route} `)).map(([, count]) => count);
        expect(runs).toEqual([3]);
      } finally {
        setNativeEngine(previous)?.dispose();
      }
    });
  }
});

describe('routing', () => {
  it('products, convolutions and filter gradients run on onnxruntime', async () => {
    const engine = nativeEngine() as NativeSessions;
    const runs = () => engine.runs;
    const a = rand([8, 8]);
    const before = runs();
    tf.dispose(tf.matMul(a, a, false, true));
    expect(runs()).toBe(before + 1);
    const grad = (c: number, strides: number) => {
      const x = rand([2, 6, 6, c]);
      const dy = rand([2, 6 / strides, 6 / strides, 4]);
      const before = runs();
      tf.dispose(
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x, dy },
            { strides, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, c, 4] },
          ) as tf.Tensor,
      );
      tf.dispose([x, dy]);
      return runs() - before;
    };
    const x = rand([2, 6, 6, 8]) as tf.Tensor4D;
    const w = rand([3, 3, 8, 4]) as tf.Tensor4D;
    const beforeConv = runs();
    tf.dispose(tf.conv2d(x, w, 1, 'same'));
    expect(runs()).toBe(beforeConv + 1);
    tf.dispose([x, w]);
    expect(grad(3, 1)).toBe(1); // 27 weights per output channel: im2col, one Gemm
    expect(grad(8, 1)).toBe(9); // one Gemm per filter tap
    expect(grad(8, 2)).toBe(1); // strided: im2col, one Gemm
    a.dispose();
  });

  it('small maps: a convolution and a filter gradient each as one Gemm over the batch', async () => {
    const previous = setNativeEngine(
      new NativeSessions((defaultEngine as NativeSessions).runtime, {
        ...withoutThresholds().limits,
        im2colMaxPixels: 36,
        filterGradientIm2colMaxPixels: 36,
      }),
    );
    try {
      const engine = nativeEngine() as NativeSessions;
      const x = rand([2, 6, 6, 8]) as tf.Tensor4D;
      const w = rand([3, 3, 8, 4]) as tf.Tensor4D;
      const dy = rand([2, 6, 6, 4]);
      tf.dispose(tf.conv2d(x, w, 1, 'same'));
      const filterShape = [3, 3, 8, 4];
      tf.dispose(
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x, dy },
            { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape },
          ) as tf.Tensor,
      );
      expect(engine.runs).toBe(2); // the tap windows took 9 for this gradient
      tf.dispose(tf.conv2d(rand([2, 7, 7, 8]) as tf.Tensor4D, w, 1, 'same')); // 49 pixels: onnxruntime's Conv
      expect(engine.runs).toBe(3);
      tf.dispose([x, w, dy]);
    } finally {
      setNativeEngine(previous)?.dispose();
    }
  });
});

describe('conv2d and its gradients with the native engine match cpu', () => {
  // Convolutions run natively, so do input gradients (one convolution per stride phase); strided
  // filter gradients take im2col and one Gemm, stride-1 ones too for ≤ 32 weights per output
  // channel, else the tap windows.
  for (const c of CONV_CASES) it(convTitle(c), () => expectConvMatches(c));

  describe('as im2col and one Gemm (the route of small maps)', () => {
    beforeAll(() => {
      setNativeEngine(withoutThresholds(true))?.dispose();
    });
    afterAll(() => {
      setNativeEngine(withoutThresholds())?.dispose();
    });
    for (const c of CONV_CASES) it(convTitle(c), () => expectConvMatches(c));
    it('a deep layer: 4 × 4 maps, 96 channels, bias and relu fused, with gradients', async () => {
      const { cpu, wasm } = await onCpuAndWasm(() => {
        const x = rand([6, 4, 4, 96]) as tf.Tensor4D;
        const w = rand([3, 3, 96, 40]) as tf.Tensor4D;
        const bias = rand([40]);
        const f = (a: tf.Tensor, b: tf.Tensor) =>
          tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 1, pad: 'same', bias, activation: 'relu' });
        const weight = rand(f(x, w).shape);
        return [f(x, w), ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), weight)))([x, w])];
      });
      expectMatch(cpu, wasm);
    });
  });

  describe("through onnxruntime's generic Conv and the tap windows (no NCHWc kernels)", () => {
    beforeAll(() => {
      setNativeEngine(withoutThresholds(false, false))?.dispose();
    });
    afterAll(() => {
      setNativeEngine(withoutThresholds())?.dispose();
    });
    for (const c of CONV_CASES) it(convTitle(c), () => expectConvMatches(c));
  });

  describe('stride-1 filter gradients as the tap windows in blocks of images', () => {
    it('the default limits send 64 to 128 channels there (on a batch beyond the cache), not 32 or 256', async () => {
      // A batch of test size counts as large here; at the default limits it keeps the NCHWc route.
      const runtime = (defaultEngine as NativeSessions).runtime;
      const small: ConvCase = { x: [16, 9, 9, 64], f: [3, 3, 64, 64], strides: 1, pad: 'same', floor: 1e-2 };
      const byDefault = setNativeEngine(new NativeSessions(runtime));
      try {
        await expectConvMatches(small, 'filter');
        expect(Object.keys(routesSince(nativeEngine() as NativeSessions, new Map()))).toEqual(['nchwc filter gradient']);
      } finally {
        setNativeEngine(byDefault)?.dispose();
      }
      const previous = setNativeEngine(new NativeSessions(runtime, { tapBlocksMinBatchBytes: 0 }));
      try {
        const engine = nativeEngine() as NativeSessions;
        for (const [n, channels, taken] of [
          [4, 64, true],
          [4, 128, true],
          [8, 32, false],
          [2, 256, false],
        ] as const) {
          const before = new Map(engine.runsByGraph);
          const c: ConvCase = { x: [n, 9, 9, channels], f: [3, 3, channels, channels], strides: 1, pad: 'same', floor: 1e-2 };
          await expectConvMatches(c, 'filter');
          const routes = routesSince(engine, before);
          expect(Object.keys(routes).length).toBeGreaterThan(0);
          expect('filter-gradient taps of an image block' in routes).toBe(taken);
        }
      } finally {
        setNativeEngine(previous)?.dispose();
      }
    });

    // Blocks of one image (1 byte) and of a whole small batch (8 MiB); cases with one tap or few
    // weights per output channel take other routes.
    for (const bytes of [1, 8 * 2 ** 20]) {
      it(`blocks of ${bytes === 1 ? 'one image' : '8 MiB'}: every stride-1 case with more than ${IM2COL_MAX_PATCH} weights per output channel`, async () => {
        const previous = setNativeEngine(withoutThresholds(false, true, bytes));
        try {
          const engine = nativeEngine() as NativeSessions;
          const cases = [
            ...CONV_CASES.filter((c) => c.strides === 1 && c.f[0] * c.f[1] * c.f[2] > IM2COL_MAX_PATCH),
            { x: [5, 13, 11, 8], f: [3, 2, 8, 16], strides: 1, pad: 'valid' } as ConvCase,
          ];
          expect(cases.length).toBeGreaterThanOrEqual(5);
          for (const c of cases) {
            const before = new Map(engine.runsByGraph);
            await expectConvMatches(c, 'filter');
            const runs = routesSince(engine, before)['filter-gradient taps of an image block'];
            expect(runs).toBe(bytes === 1 ? c.x[0] : 1);
          }
        } finally {
          setNativeEngine(previous)?.dispose();
        }
      });
    }
  });

  it('a dilated convolution (forward: tfjs has no gradient for dilation > 1)', async () => {
    const { cpu, wasm } = await onCpuAndWasm(() =>
      tf.conv2d(rand([2, 11, 9, 3]) as tf.Tensor4D, rand([3, 2, 3, 4]) as tf.Tensor4D, 1, 'same', 'NHWC', [2, 3]),
    );
    expectMatch(cpu, wasm);
  });

  it('a fused convolution with bias and relu, strided, with gradients', async () => {
    const { cpu, wasm } = await onCpuAndWasm(() => {
      const x = rand([2, 9, 9, 6]) as tf.Tensor4D;
      const w = rand([3, 3, 6, 5]) as tf.Tensor4D;
      const bias = rand([5]);
      const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 2, pad: 'same', bias: c, activation: 'relu' });
      const out = f(x, w, bias);
      const weight = rand(out.shape);
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(f(a, b, c), weight)))([x, w, bias]);
      return [out, ...grads];
    });
    expectMatch(cpu, wasm);
  });
});

describe("MLAS's NCHWc kernels (channels in blocks of 16 with AVX-512, 8 with AVX2)", () => {
  // Convolutions whose input has whole groups of 4 channels, at least one block; filter gradients
  // whose batch and output channels are whole blocks (the batch is the NCHWc reduction), first
  // layers and strided ones included.
  const nchwcEngine = () => withoutThresholds();
  // Sums over 1,000 to 2,000 products per weight (see FORWARD_CASES on the floor).
  const FILTER_CASES: ConvCase[] = [
    { x: [16, 9, 9, 8], f: [3, 3, 8, 16], strides: 1, pad: 'same', floor: 1e-2 },
    { x: [16, 12, 12, 1], f: [3, 3, 1, 16], strides: 1, pad: 'valid', floor: 1e-2 }, // a first layer on grey images
    { x: [16, 8, 8, 3], f: [3, 3, 3, 32], strides: 1, pad: 'same', floor: 1e-2 },
    { x: [16, 10, 10, 6], f: [3, 3, 6, 16], strides: 1, pad: 'valid', floor: 1e-2 },
    { x: [32, 7, 9, 8], f: [3, 2, 8, 32], strides: 1, pad: 'same', floor: 1e-2 },
    // dY of 1 MiB: re-blocked in two shares where the helper thread runs
    { x: [32, 16, 16, 8], f: [3, 3, 8, 32], strides: 1, pad: 'same', floor: 1e-2 },
    { x: [16, 10, 10, 8], f: [3, 3, 8, 16], strides: 2, pad: 'same', floor: 1e-2 },
    { x: [16, 11, 11, 8], f: [3, 3, 8, 16], strides: 2, pad: 'valid', floor: 1e-2 },
    { x: [16, 12, 9, 4], f: [3, 2, 4, 16], strides: [2, 1], pad: 'same', floor: 1e-2 },
  ];
  for (const c of FILTER_CASES) {
    it(`filter gradient: ${convTitle(c)}`, async () => {
      const previous = setNativeEngine(nchwcEngine());
      try {
        const engine = nativeEngine() as NativeSessions;
        await expectConvMatches(c, 'filter');
        expect(routesSince(engine, new Map())['nchwc filter gradient']).toBe(1);
      } finally {
        setNativeEngine(previous)?.dispose();
      }
    });
  }

  it('filter gradients it does not take: a batch or output channels not in whole blocks, rows past the last window', async () => {
    const previous = setNativeEngine(nchwcEngine());
    try {
      const engine = nativeEngine() as NativeSessions;
      for (const c of [
        { x: [12, 9, 9, 8], f: [3, 3, 8, 16], strides: 1, pad: 'same', floor: 1e-2 },
        { x: [16, 9, 9, 8], f: [3, 3, 8, 12], strides: 1, pad: 'same', floor: 1e-2 },
        { x: [16, 12, 12, 8], f: [3, 3, 8, 16], strides: 2, pad: 'valid', floor: 1e-2 },
      ] as ConvCase[]) {
        const before = new Map(engine.runsByGraph);
        await expectConvMatches(c, 'filter');
        expect(routesSince(engine, before)['nchwc filter gradient']).toBeUndefined();
      }
    } finally {
      setNativeEngine(previous)?.dispose();
    }
  });

  // 144 to 288 products per output: float32 sums (the cpu backend's sequential ones, the kernels'
  // blocked ones) differ by ~1e-7 of the largest output, hence the floor of 1e-2.
  const FORWARD_CASES: ConvCase[] = [
    { x: [2, 9, 9, 16], f: [3, 3, 16, 8], strides: 1, pad: 'same', floor: 1e-2 },
    { x: [3, 8, 10, 20], f: [3, 3, 20, 40], strides: 1, pad: 'valid', floor: 1e-2 },
    { x: [2, 11, 11, 32], f: [3, 3, 32, 16], strides: 2, pad: 'same', floor: 1e-2 },
    { x: [2, 12, 12, 16], f: [2, 2, 16, 24], strides: 2, pad: 'valid', floor: 1e-2 },
  ];
  for (const c of FORWARD_CASES) {
    it(`convolution and its input gradient: ${convTitle(c)}`, async () => {
      const engine = nativeEngine() as NativeSessions;
      const before = new Map(engine.runsByGraph);
      const { cpu, wasm } = await onCpuAndWasm(() =>
        tf.conv2d(rand(c.x) as tf.Tensor4D, rand(c.f) as tf.Tensor4D, c.strides, c.pad),
      );
      expectMatch(cpu, wasm, 1e-4, c.floor);
      expect(routesSince(engine, before)).toEqual({ 'nchwc conv2d': 1 });
      await expectConvMatches(c);
    });
  }

  it('a stride-1 input gradient: one NCHWc convolution with the forward filter flipped in the reorder', async () => {
    const engine = nativeEngine() as NativeSessions;
    for (const c of [
      { x: [2, 9, 9, 24], f: [3, 3, 24, 20], strides: 1, pad: 'same', floor: 1e-2 }, // neither channel count in whole blocks
      { x: [3, 8, 10, 32], f: [3, 2, 32, 16], strides: 1, pad: 'valid', floor: 1e-2 },
      {
        x: [2, 7, 6, 16],
        f: [2, 3, 16, 32],
        strides: 1,
        pad: [
          [0, 0],
          [0, 1],
          [2, 0],
          [0, 0],
        ],
        floor: 1e-2,
      },
    ] as ConvCase[]) {
      const before = new Map(engine.runsByGraph);
      await expectInputGradientMatches(c);
      // The forward pass (for dY's shape) and the gradient: one graph each.
      expect(routesSince(engine, before), convTitle(c)).toEqual({ 'nchwc conv2d': 2 });
    }
  });

  it('a stride-1 input gradient on a small map: the filter flipped by onnxruntime, im2col and one Gemm', async () => {
    const previous = setNativeEngine(
      new NativeSessions((defaultEngine as NativeSessions).runtime, {
        ...withoutThresholds().limits,
        inputGradientIm2colMaxPixels: 25,
      }),
    );
    try {
      const engine = nativeEngine() as NativeSessions;
      for (const [c, nchwc] of [
        [{ x: [3, 4, 5, 24], f: [3, 3, 24, 20], strides: 1, pad: 'same', floor: 1e-2 }, true],
        [{ x: [2, 5, 5, 6], f: [2, 3, 6, 10], strides: 1, pad: 'valid', floor: 1e-2 }, false],
      ] as [ConvCase, boolean][]) {
        const before = new Map(engine.runsByGraph);
        await expectInputGradientMatches(c);
        // The forward pass (for dY's shape: NCHWc or generic Conv by its input channels), the
        // flipped filter and the gradient's one Gemm; no Transpose or filter copy on the heap.
        const routes = routesSince(engine, before);
        expect(routes[nchwc ? 'nchwc conv2d' : 'conv2d'], convTitle(c)).toBe(1);
        expect(routes['flipped filter matrix']).toBe(1);
        expect(Object.values(routes).reduce((a, b) => a + b, 0)).toBe(3);
      }
    } finally {
      setNativeEngine(previous)?.dispose();
    }
  });

  it('strided input gradients: one onnxruntime ConvTranspose (end padding or output padding as the forward pass left rows)', async () => {
    const strided: ConvCase[] = [
      { x: [3, 10, 10, 8], f: [3, 3, 8, 16], strides: 2, pad: 'same', floor: 1e-2 }, // pads past the end
      { x: [3, 11, 11, 8], f: [3, 3, 8, 16], strides: 2, pad: 'same', floor: 1e-2 },
      { x: [3, 12, 12, 8], f: [3, 3, 8, 16], strides: 2, pad: 'valid', floor: 1e-2 }, // a last row no window reads
      { x: [2, 9, 8, 4], f: [3, 2, 4, 8], strides: [2, 1], pad: 'same', floor: 1e-2 },
      { x: [2, 16, 15, 4], f: [3, 3, 4, 8], strides: 3, pad: 'valid', floor: 1e-2 },
    ];
    for (const enabled of [true, false]) {
      const previous = setNativeEngine(
        new NativeSessions((defaultEngine as NativeSessions).runtime, {
          ...withoutThresholds().limits,
          stridedInputGradient: enabled,
        }),
      );
      try {
        const engine = nativeEngine() as NativeSessions;
        for (const c of strided) {
          const before = new Map(engine.runsByGraph);
          await expectInputGradientMatches(c);
          // off: the phases (stride-1 convolutions) instead
          expect(routesSince(engine, before)['conv transpose'], `${convTitle(c)}, route on: ${enabled}`).toBe(
            enabled ? 1 : undefined,
          );
        }
      } finally {
        setNativeEngine(previous)?.dispose();
      }
    }
  });

  it('strided input gradients of 1 × 1 filters (a matmul and a scatter) and of small maps (the phases) take no ConvTranspose', async () => {
    const engine = nativeEngine() as NativeSessions;
    for (const c of [
      { x: [2, 8, 8, 8], f: [1, 1, 8, 16], strides: 2, pad: 'same', floor: 1e-2 }, // ResNet's projection
      { x: [2, 9, 7, 8], f: [1, 1, 8, 16], strides: [2, 3], pad: 'valid', floor: 1e-2 },
      { x: [2, 8, 8, 8], f: [3, 3, 8, 16], strides: 2, pad: 'same', floor: 1e-2 }, // dY 4 × 4
    ] as ConvCase[]) {
      const before = new Map(engine.runsByGraph);
      await expectInputGradientMatches(c);
      expect(routesSince(engine, before)['conv transpose'], convTitle(c)).toBeUndefined();
    }
  });

  it('an input gradient that crops dY (padding wider than the filter) takes the phases', async () => {
    await expectConvMatches({
      x: [2, 6, 6, 16],
      f: [3, 3, 16, 16],
      strides: 1,
      pad: [
        [0, 0],
        [3, 1],
        [0, 2],
        [0, 0],
      ],
      floor: 1e-2,
    });
  });

  it('a fused convolution: bias and relu in the NCHWc kernel, output channels not in whole blocks', async () => {
    const engine = nativeEngine() as NativeSessions;
    const before = new Map(engine.runsByGraph);
    const { cpu, wasm } = await onCpuAndWasm(() =>
      tf.fused.conv2d({
        x: rand([2, 7, 7, 24]) as tf.Tensor4D,
        filter: rand([3, 3, 24, 20]) as tf.Tensor4D,
        strides: 1,
        pad: 'same',
        bias: rand([20]),
        activation: 'relu',
      }),
    );
    expectMatch(cpu, wasm);
    expect(routesSince(engine, before)).toEqual({ 'nchwc conv2d': 1 });
  });

  it('inputs whose channels are not whole groups of 4, or fewer than a block, take the generic Conv', async () => {
    const engine = nativeEngine() as NativeSessions;
    for (const c of [6, 18]) {
      const before = new Map(engine.runsByGraph);
      await onCpuAndWasm(() => tf.conv2d(rand([2, 8, 8, c]) as tf.Tensor4D, rand([3, 3, c, 16]) as tf.Tensor4D, 1, 'same'));
      expect(routesSince(engine, before)).toEqual({ conv2d: 1 });
    }
  });
});

describe('errors', () => {
  it('an onnxruntime failure names the graph, the shapes and the way out', () => {
    const engine = nativeEngine() as NativeSessions;
    const a = { data: new Float32Array(6), shape: [2, 3] };
    const b = { data: new Float32Array(8), shape: [4, 2] };
    const { build } = matMulGraph({ rankA: 2, rankB: 2, transposeA: false, biasRank: null, relu: false });
    expect(() => engine.runInto('gemm test', build, { a, b }, { data: new Float32Array(4), shape: [2, 2] })).toThrow(
      /onnxruntime failed on gemm test with a \[2,3\], b \[4,2\] → y \[2,2\]: .*native: false/,
    );
  });
});

describe('loadNativeRuntime', () => {
  it('says onnxruntime-node is missing, untested or broken instead of failing', () => {
    const missing = loadNativeRuntime(2, () => {
      throw new Error("Cannot find module 'onnxruntime-node/package.json'");
    });
    expect(missing).toEqual({ runtime: null, reason: 'onnxruntime-node is not installed' });
    const untested = loadNativeRuntime(2, (id) => {
      if (id === 'onnxruntime-node/package.json') return { version: '1.31.0' };
      throw new Error('must not load an untested binding');
    });
    expect(untested.runtime).toBeNull();
    expect(untested.reason).toMatch(/onnxruntime-node 1\.31\.0 is untested .*tested: 1\.30\.x/);
    const broken = loadNativeRuntime(2, (id) => {
      if (id === 'onnxruntime-node/package.json') return { version: '1.30.0' };
      throw new Error('libonnxruntime.so.1: cannot open shared object file');
    });
    expect(broken).toEqual({
      runtime: null,
      reason: 'onnxruntime-node 1.30.0 failed to load: libonnxruntime.so.1: cannot open shared object file',
    });
  });

  it('turning the engine off keeps every product on XNNPACK, and says so', async () => {
    const choice = await useBackend('wasm', { native: false });
    expect(choice.notes.join('; ')).toMatch(/on XNNPACK \(native engine turned off\)/);
    expect(nativeEngine()).toBeNull();
    setNativeEngine(withoutThresholds());
  });
});
