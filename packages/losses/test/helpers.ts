import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** Element-wise |a − e| ≤ atol + rtol·|e|, reporting the worst element on failure. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol = 0): void {
  expect(actual.length).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - (atol + rtol * Math.abs(expected[i]));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(`element ${worst}: got ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol})`);
  }
}

/** Runs `fn` and asserts it leaves the number of live tensors unchanged. */
export function expectNoLeak<T>(fn: () => T): T {
  const before = tf.memory().numTensors;
  const result = fn();
  const extra = result instanceof tf.Tensor ? 1 : 0;
  expect(tf.memory().numTensors - extra).toBe(before);
  if (result instanceof tf.Tensor) result.dispose();
  return result;
}

export function flat(x: number[][]): number[] {
  return x.flat();
}

/** Seeded standard-normal matrix (tf.randomNormal with a seed is deterministic on cpu). */
export function randn(rows: number, cols: number, seed: number): tf.Tensor2D {
  return tf.randomNormal([rows, cols], 0, 1, 'float32', seed) as tf.Tensor2D;
}

/** The cosine similarity of `rows` seeded random "caption embeddings": an [rows, rows] sample graph. */
export function randomSimilarity(rows: number, dim: number, seed: number): tf.Tensor2D {
  return tf.tidy(() => {
    const c = randn(rows, dim, seed);
    const cn = tf.div(c, tf.norm(c, 2, 1, true));
    return tf.matMul(cn, cn, false, true) as tf.Tensor2D;
  });
}

/** A two-view loss as the tests call it. */
export type Loss = (zA: tf.Tensor2D, zB: tf.Tensor2D) => tf.Scalar;

export function valueAndGrads(f: Loss, zA: tf.Tensor2D, zB: tf.Tensor2D) {
  const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) => f(a as tf.Tensor2D, b as tf.Tensor2D))([zA, zB]);
  const out = { value: value.dataSync()[0], gradA: grads[0].dataSync(), gradB: grads[1].dataSync() };
  tf.dispose([value, ...grads]);
  return out;
}

/** Values to `rtol`, gradients to 1e-4 relative to their largest entry. */
export function expectSameLoss(actual: Loss, expected: Loss, zA: tf.Tensor2D, zB: tf.Tensor2D, rtol = 1e-5): void {
  const x = valueAndGrads(actual, zA, zB);
  const y = valueAndGrads(expected, zA, zB);
  expectClose([x.value], [y.value], rtol, 1e-7);
  const scale = Math.max(...Array.from(y.gradA, Math.abs), ...Array.from(y.gradB, Math.abs));
  expect(scale).toBeGreaterThan(0);
  expectClose(x.gradA, y.gradA, 1e-4, 1e-4 * scale);
  expectClose(x.gradB, y.gradB, 1e-4, 1e-4 * scale);
}
