import * as tf from '@tensorflow/tfjs-core';
import { maybeNormalize } from './normalize.js';
import { indexRange, oneHotRows } from './one-hot.js';

/** Z = [ẑA; ẑB] (2N × D): both views stacked, view-major, as SimCLR and SupCon order them. */
export function stackViews(zA: tf.Tensor2D, zB: tf.Tensor2D, normalize: boolean): tf.Tensor2D {
  return tf.tidy(() => tf.concat([maybeNormalize(zA, normalize), maybeNormalize(zB, normalize)], 0));
}

// Constant matrices are one-hot rows of a range, computed by the backend: tf.eye and tf.ones fill
// a JavaScript array and upload it, a large share of a loss's time on wasm (packages/losses/README.md).

/** `[R, C]` identity (row r has its 1 in column r; rows past C are zero), as `tf.eye`. */
export function identityMatrix(rows: number, cols: number = rows): tf.Tensor2D {
  return tf.tidy(() => oneHotRows(indexRange(0, rows), cols));
}

/** `[R, C]` mask with 1 everywhere except each anchor's own column (anchor r sits in column r). */
export function notSelfMask(rows: number, cols: number): tf.Tensor2D {
  return tf.tidy(() => oneHotRows(indexRange(0, rows), cols, 0, 1));
}

/** Cosine (or dot) logits of every anchor against every candidate: A Cᵀ / temperature. */
export function scaledLogits(anchors: tf.Tensor2D, candidates: tf.Tensor2D, temperature: number): tf.Tensor2D {
  // Scaling the [R, D] anchors rather than the [R, C] product: a pass over D columns instead of C,
  // forward and backward.
  return tf.tidy(() => tf.matMul(tf.div(anchors, temperature), candidates, false, true));
}

/**
 * Assembles `[[diag, off], [off, diag]]` (`[2N, 2N]`) from `[N, N]` blocks: the layout of any
 * sample graph over both views, where `diag` pairs a view with itself and `off` with the other.
 * `tileForViews(graph)` tiles one graph; two concats rather than tf.tile, as the wasm backend's
 * Tile is a generic per-element loop that took longer than a whole loss at N = 256.
 */
export function tileForViews(diag: tf.Tensor2D, off: tf.Tensor2D = diag): tf.Tensor2D {
  return tf.tidy(() => tf.concat([tf.concat([diag, off], 1), tf.concat([off, diag], 1)], 0) as tf.Tensor2D);
}
