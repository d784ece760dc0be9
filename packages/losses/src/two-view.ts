import * as tf from '@tensorflow/tfjs-core';
import { maybeNormalize } from './normalize.js';

/** Z = [ẑA; ẑB] (2N × D): both views stacked, view-major, as SimCLR and SupCon order them. */
export function stackViews(zA: tf.Tensor2D, zB: tf.Tensor2D, normalize: boolean): tf.Tensor2D {
  return tf.tidy(() => tf.concat([maybeNormalize(zA, normalize), maybeNormalize(zB, normalize)], 0));
}

/** `[R, C]` mask with 1 everywhere except each anchor's own column (anchor r sits in column r). */
export function notSelfMask(rows: number, cols: number): tf.Tensor2D {
  return tf.tidy(() => tf.sub(tf.ones([rows, cols]), tf.eye(rows, cols)) as tf.Tensor2D);
}

/** Cosine (or dot) logits of every anchor against every candidate: A Cᵀ / temperature. */
export function scaledLogits(anchors: tf.Tensor2D, candidates: tf.Tensor2D, temperature: number): tf.Tensor2D {
  return tf.tidy(() => tf.div(tf.matMul(anchors, candidates, false, true), temperature));
}

/** Tiles an `[N, N]` sample graph to `[2N, 2N]`: both views of sample i carry i's row. */
export function tileForViews(graph: tf.Tensor2D): tf.Tensor2D {
  // Two concats rather than tf.tile: the wasm backend's Tile is a generic per-element loop that
  // took ~38 ms for a 256 → 512 graph, longer than the whole loss (concat copies rows, ~0.3 ms).
  return tf.tidy(() => {
    const row = tf.concat([graph, graph], 1);
    return tf.concat([row, row], 0) as tf.Tensor2D;
  });
}
