import type * as tf from '@tensorflow/tfjs-core';

/** Throws `name: message` with the function name that was called, so errors point at the caller's argument. */
export function fail(fn: string, message: string): never {
  throw new Error(`${fn}: ${message}`);
}

export function checkEmbeddings(fn: string, name: string, z: tf.Tensor): asserts z is tf.Tensor2D {
  if (z == null) fail(fn, `${name} is required, expected a [N, D] tensor`);
  if (z.rank !== 2) fail(fn, `${name} must be a [N, D] tensor, got shape [${z.shape.join(', ')}]`);
  if ((z.shape as number[]).some((d) => d < 1)) fail(fn, `${name} must be non-empty, got shape [${z.shape.join(', ')}]`);
  if (z.dtype !== 'float32') fail(fn, `${name} must be float32, got ${z.dtype}`);
}

export function checkSameShape(fn: string, nameA: string, a: tf.Tensor, nameB: string, b: tf.Tensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    fail(fn, `${nameA} and ${nameB} must have the same shape, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
}

export function checkPositive(fn: string, name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    fail(fn, `${name} must be a finite number > 0, got ${String(value)}`);
  }
}

export function checkSimilarity(fn: string, similarity: tf.Tensor, n: number): asserts similarity is tf.Tensor2D {
  if (similarity == null) fail(fn, `similarity is required, expected a [${n}, ${n}] tensor`);
  if (similarity.rank !== 2 || similarity.shape[0] !== similarity.shape[1]) {
    fail(fn, `similarity must be a square [N, N] matrix, got shape [${similarity.shape.join(', ')}]`);
  }
  if (similarity.shape[0] !== n) {
    fail(fn, `similarity must be [${n}, ${n}] to match the ${n} embeddings, got [${similarity.shape.join(', ')}]`);
  }
  if (similarity.dtype !== 'float32') fail(fn, `similarity must be float32, got ${similarity.dtype}`);
}

export function checkNonNegative(fn: string, name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(fn, `${name} must be a finite number ≥ 0, got ${String(value)}`);
  }
}

/** Batch statistics (variances, batch normalisation) need two samples at least. */
export function checkBatchStatistics(fn: string, z: tf.Tensor2D): void {
  if (z.shape[0] < 2) {
    fail(fn, `needs at least 2 samples per view to compute batch statistics, got N = ${z.shape[0]}`);
  }
}
