import * as tf from '@tensorflow/tfjs-core';
import { expectMatch, onCpuAndWasm, rand } from './compare.js';

// Product and convolution cases run on wasm (XNNPACK paths, and the native engine in
// native.test.ts) against tfjs's cpu backend, forward and gradient.

export type MatMulCase = [number[], number[], boolean, boolean];

export const MATMUL_CASES: MatMulCase[] = [
  [[7, 5], [5, 3], false, false],
  [[5, 7], [5, 3], true, false],
  [[7, 5], [3, 5], false, true],
  [[5, 7], [3, 5], true, true],
  [[64, 48], [40, 48], false, true],
  [[3, 7, 5], [5, 4], false, false],
  [[2, 3, 5, 7], [2, 3, 7, 4], false, false],
  [[4, 40, 36], [4, 44, 36], false, true],
  [[4, 36, 40], [4, 36, 44], true, false],
  [[1, 40, 36], [4, 36, 44], false, false],
  [[4, 40, 36], [1, 36, 44], false, false],
];

export const matMulTitle = ([a, b, ta, tb]: MatMulCase) => `[${a}]${ta ? 'ᵀ' : ''} × [${b}]${tb ? 'ᵀ' : ''}, with gradients`;

export async function expectMatMulMatches([aShape, bShape, ta, tb]: MatMulCase): Promise<void> {
  const { cpu, wasm } = await onCpuAndWasm(() => {
    const a = rand(aShape);
    const b = rand(bShape);
    const f = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, ta, tb);
    const out = f(a, b);
    // tfjs-core's BatchMatMul gradient does not reduce broadcast batch dimensions (on any
    // backend), so broadcasting cases check the forward product only.
    if (aShape.length !== bShape.length || aShape.some((d, i) => d !== bShape[i] && i < aShape.length - 2)) return [out];
    const weight = rand(out.shape);
    const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(f(x, y), weight)))([a, b]);
    return [out, ga, gb];
  });
  expectMatch(cpu, wasm);
}

export type FusedCase = [boolean, boolean, 'relu' | 'linear' | 'elu'];

export const FUSED_MATMUL_CASES: FusedCase[] = [
  [false, false, 'relu'],
  [true, false, 'linear'],
  [false, true, 'relu'],
  [true, true, 'elu'],
];

export const fusedTitle = ([ta, tb, activation]: FusedCase) => `transposeA=${ta} transposeB=${tb} ${activation}, with gradients`;

export async function expectFusedMatMulMatches([ta, tb, activation]: FusedCase): Promise<void> {
  const { cpu, wasm } = await onCpuAndWasm(() => {
    const a = rand(ta ? [24, 33] : [33, 24]);
    const b = rand(tb ? [17, 24] : [24, 17]);
    const bias = rand([17]);
    const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
      tf.fused.matMul({ a: x as tf.Tensor2D, b: y as tf.Tensor2D, transposeA: ta, transposeB: tb, bias: z, activation });
    const out = f(a, b, bias);
    const weight = rand(out.shape);
    const grads = tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => tf.sum(tf.mul(f(x, y, z), weight)))([a, b, bias]);
    return [out, ...grads];
  });
  expectMatch(cpu, wasm);
}

export type ConvCase = {
  x: number[];
  f: number[];
  strides: number | [number, number];
  pad: 'same' | 'valid' | tf.backend_util.ExplicitPadding;
  /** Tolerance floor as a fraction of the largest value (see expectMatch). */
  floor?: number;
};

export const CONV_CASES: ConvCase[] = [
  { x: [4, 28, 28, 1], f: [3, 3, 1, 8], strides: 1, pad: 'same' }, // a first layer on grey images
  { x: [2, 9, 9, 3], f: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { x: [2, 9, 9, 3], f: [3, 3, 3, 4], strides: 1, pad: 'valid' },
  { x: [3, 10, 10, 4], f: [3, 3, 4, 5], strides: 2, pad: 'same' },
  { x: [3, 11, 11, 4], f: [3, 3, 4, 5], strides: 2, pad: 'same' },
  { x: [3, 11, 11, 4], f: [3, 3, 4, 5], strides: 2, pad: 'valid' },
  { x: [2, 8, 8, 6], f: [1, 1, 6, 3], strides: 2, pad: 'valid' },
  { x: [2, 8, 8, 6], f: [1, 1, 6, 3], strides: 1, pad: 'same' },
  { x: [1, 12, 9, 2], f: [3, 2, 2, 3], strides: [2, 1], pad: 'same' },
  { x: [2, 13, 13, 3], f: [5, 5, 3, 2], strides: [1, 3], pad: 'valid' },
  {
    x: [2, 8, 8, 3],
    f: [3, 3, 3, 4],
    strides: 1,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  { x: [4, 16, 16, 8], f: [3, 3, 8, 16], strides: 1, pad: 'same' },
  { x: [2, 20, 20, 6], f: [3, 3, 6, 5], strides: 2, pad: 'same' },
  { x: [2, 20, 20, 64], f: [3, 3, 64, 5], strides: 1, pad: 'same' },
  { x: [2, 20, 20, 64], f: [3, 3, 64, 5], strides: 2, pad: 'same' },
  { x: [2, 21, 19, 64], f: [3, 3, 64, 5], strides: 2, pad: 'valid' },
  // Filter gradients here sum 4,608 products: float32 rounding near zero is ~1e-6 of the largest.
  { x: [2, 48, 48, 64], f: [3, 3, 64, 4], strides: 1, pad: 'same', floor: 1e-2 },
  // A small map with many channels: the native filter gradient's taps are not split (few rows).
  { x: [1, 4, 4, 64], f: [3, 3, 64, 48], strides: 1, pad: 'same' },
  // 512 products per output: the cpu backend's sequential float32 sums are off by ~1e-5 of the
  // largest output near zero (the NCHWc kernels' blocked sums are closer to float64).
  { x: [2, 10, 10, 512], f: [1, 1, 512, 4], strides: 2, pad: 'same', floor: 1e-2 },
  { x: [2, 20, 20, 40], f: [1, 1, 40, 6], strides: 2, pad: 'same' },
  { x: [2, 7, 7, 40], f: [1, 1, 40, 6], strides: 1, pad: 'valid' },
  { x: [2, 22, 22, 24], f: [5, 5, 24, 3], strides: 3, pad: 'same' },
  { x: [2, 9, 9, 3], f: [1, 1, 3, 2], strides: 3, pad: 'valid' },
  {
    x: [2, 10, 10, 2],
    f: [2, 2, 2, 3],
    strides: 2,
    pad: [
      [0, 0],
      [3, 0],
      [0, 3],
      [0, 0],
    ],
  },
];

export const convTitle = (c: ConvCase) =>
  `x [${c.x}] filter [${c.f}] strides ${JSON.stringify(c.strides)} pad ${JSON.stringify(c.pad)}`;

/** Compares a convolution's output, filter gradient or input gradient (default all three). */
export async function expectConvMatches(c: ConvCase, part: 'output' | 'filter' | 'input' | 'all' = 'all'): Promise<void> {
  const { cpu, wasm } = await onCpuAndWasm(() => {
    const x = rand(c.x) as tf.Tensor4D;
    const w = rand(c.f) as tf.Tensor4D;
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad);
    const out = f(x, w);
    const weight = rand(out.shape);
    const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), weight)))([x, w]);
    return part === 'output' ? [out] : part === 'filter' ? [gw] : part === 'input' ? [gx] : [out, gx, gw];
  });
  expectMatch(cpu, wasm, 1e-4, c.floor);
}

/**
 * Sum and Mean: leading axes go through average pooling (in two halves from 64 rows on), trailing
 * axes through SIMD row sums; other axes to the stock kernels.
 */
export const REDUCE_CASES: [number[], number | number[], boolean][] = [
  [[64, 5, 5, 7], [0, 1, 2], false],
  [[64, 5, 5, 7], [0, 1, 2], true],
  [[300, 9], 0, false],
  [[301, 9], 0, false],
  [[16, 32, 32, 24], [0, 1, 2], false],
  [[64, 40, 40, 8], [0, 1, 2], false], // windows of 51,200 rows
  [[5, 7, 9, 12], [0, 1, 2], true], // channels in fours: SIMD column sums, 315 rows (2 blocks and 59 rows)
  [[3, 70001, 2], [0, 1], false], // one window of 210,003 rows (an odd count)
  [[6, 7, 8], [0, 2], false],
  [[6, 7, 8], -1, true],
  [[6, 7, 8], [0, 1, 2], false],
  [[3, 4, 5], [0, 1], true],
  // Trailing axes (rows of the loss matrices): SIMD row sums, with rows not a multiple of 4.
  [[512, 2051], 1, false],
  [[5, 3], -1, true],
  [[4, 6, 10], [1, 2], false],
];
