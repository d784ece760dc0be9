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
