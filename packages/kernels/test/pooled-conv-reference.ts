import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { POOLED_CONV2D, POOLED_CONV2D_BACKPROP_FILTER } from '../src/index.js';

// Float64 loops for XclrPooledConv2D and its filter gradient, written from their definitions:
// z = conv(x, filter) + bias (stride 1, no padding, NHWC), y = max over each 2 × 2 window (stride
// 2) of ReLU(z), argmax = the first window position (row-major) holding the max of z (packed as the kernel packs it), and
// dFilter = Σ dy · x under each tap at that position, over the outputs with y > 0.

interface Array4 {
  data: ArrayLike<number>;
  shape: number[];
}

export function pooledConvReference(x: Array4, filter: Array4, bias: ArrayLike<number>, dy: ArrayLike<number>) {
  const [n, h, w, c] = x.shape;
  const [fh, fw, , o] = filter.shape;
  const [ho, wo] = [h - fh + 1, w - fw + 1];
  const [hp, wp] = [Math.floor(ho / 2), Math.floor(wo / 2)];
  const xAt = (b: number, i: number, j: number, k: number) => x.data[((b * h + i) * w + j) * c + k];
  const z = (b: number, i: number, j: number, out: number) => {
    let sum = bias[out];
    for (let a = 0; a < fh; a++)
      for (let e = 0; e < fw; e++)
        for (let k = 0; k < c; k++) sum += xAt(b, i + a, j + e, k) * filter.data[((a * fw + e) * c + k) * o + out];
    return sum;
  };
  const size = n * hp * wp * o;
  const y = new Float64Array(size);
  const argmax = new Int32Array(size);
  const dw = new Float64Array(fh * fw * c * o);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < hp; i++)
      for (let j = 0; j < wp; j++)
        for (let out = 0; out < o; out++) {
          const at = ((b * hp + i) * wp + j) * o + out;
          let best = Number.NEGATIVE_INFINITY;
          for (let p = 0; p < 4; p++) {
            const v = z(b, 2 * i + (p >> 1), 2 * j + (p & 1), out);
            if (v > best) [best, argmax[at]] = [v, p];
          }
          y[at] = Math.max(0, best);
          if (y[at] <= 0) continue;
          const [pi, pj] = [2 * i + (argmax[at] >> 1), 2 * j + (argmax[at] & 1)];
          for (let a = 0; a < fh; a++)
            for (let e = 0; e < fw; e++)
              for (let k = 0; k < c; k++) dw[((a * fw + e) * c + k) * o + out] += dy[at] * xAt(b, pi + a, pj + e, k);
        }
  // as the kernel returns them: four channels' positions in one int32, Σᵢ pᵢ · 4ⁱ
  const packed = new Int32Array(size / 4);
  for (let i = 0; i < size; i++) packed[i >> 2] += argmax[i] * 4 ** (i & 3);
  return { y, argmax: packed, dw, shape: [n, hp, wp, o] };
}

/** XclrPooledConv2D's outputs: [y, argmax]. */
export const pooledConv = (x: tf.Tensor, filter: tf.Tensor, bias: tf.Tensor) =>
  tf.engine().runKernel(POOLED_CONV2D, { x, filter, bias }) as tf.Tensor[];

export const pooledConvFilterGradient = (x: tf.Tensor, dy: tf.Tensor, y: tf.Tensor, argmax: tf.Tensor, filterShape: number[]) =>
  tf.engine().runKernel(POOLED_CONV2D_BACKPROP_FILTER, { x, dy, y, argmax }, { filterShape }) as tf.Tensor;

/** Every value within `tolerance` of the reference, relative to 1 + its magnitude. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tolerance: number): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

/** The test cases: a ConvNet's first layer (an odd output: the last row and column are not pooled), 3 channels and a 5 × 5 filter, 4 channels and a 2 × 1 filter, a tie in every window (constant input). */
export const POOLED_CONV_CASES: { x: number[]; filter: number[]; constant?: boolean }[] = [
  { x: [3, 28, 28, 1], filter: [3, 3, 1, 32] },
  { x: [2, 13, 16, 3], filter: [5, 5, 3, 16] },
  { x: [1, 9, 7, 4], filter: [2, 1, 4, 8] },
  { x: [2, 6, 6, 1], filter: [3, 3, 1, 8], constant: true },
];
