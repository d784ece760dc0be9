import * as tf from '@tensorflow/tfjs-core';
import { fail } from './checks.js';
import { maybeNormalize } from './normalize.js';
import { notSelfMask, scaledLogits } from './two-view.js';

/**
 * A memory queue of Q embeddings from earlier batches (MoCo, He et al. 2020; XBM, Wang et al.
 * 2020): extra candidates for every anchor of the batch, constants through which no gradient flows.
 */
export interface LossQueue {
  /** `[Q, D]` embeddings (view B of earlier batches, or a momentum encoder's); Q may be 0. */
  embeddings: tf.Tensor2D;
  /** X-CLR: `[N, Q]` similarity of each batch sample to each entry (caption or class similarity). */
  similarity?: tf.Tensor2D;
  /** SupCon: the class label of each entry, `[Q]`. */
  labels?: tf.Tensor1D | Int32Array | readonly number[];
}

/** Checks the queue's embeddings against `[N, D]` batch embeddings; returns Q. */
export function checkQueue(fn: string, queue: LossQueue, dim: number): number {
  if (queue == null || queue.embeddings == null) fail(fn, 'queue.embeddings is required, expected a [Q, D] tensor');
  const { embeddings } = queue;
  if (embeddings.rank !== 2 || embeddings.shape[1] !== dim) {
    fail(fn, `queue.embeddings must be [Q, ${dim}] like the batch's embeddings, got shape [${embeddings.shape.join(', ')}]`);
  }
  if (embeddings.dtype !== 'float32') fail(fn, `queue.embeddings must be float32, got ${embeddings.dtype}`);
  return embeddings.shape[0];
}

/** Checks `queue.similarity` is `[N, Q]` float32. */
export function checkQueueSimilarity(
  fn: string,
  similarity: tf.Tensor | undefined,
  n: number,
  q: number,
): asserts similarity is tf.Tensor2D {
  if (similarity == null)
    fail(fn, `queue.similarity is required, expected the [${n}, ${q}] similarity of the batch to the queue`);
  if (similarity.rank !== 2 || similarity.shape[0] !== n || similarity.shape[1] !== q) {
    fail(fn, `queue.similarity must be [${n}, ${q}] (batch × queue), got shape [${similarity.shape.join(', ')}]`);
  }
  if (similarity.dtype !== 'float32') fail(fn, `queue.similarity must be float32, got ${similarity.dtype}`);
}

/**
 * x with a zero gradient: the queue is a constant for the loss even when the caller computed it
 * from trained variables (MoCo's keys are detached in the same way).
 */
export const stopGradient: (x: tf.Tensor2D) => tf.Tensor2D = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor2D) => tf.Tensor2D;

/** The queue's embeddings as candidates: detached, normalised as the batch is. */
export function queueCandidates(queue: LossQueue, normalize: boolean): tf.Tensor2D {
  return tf.tidy(() => maybeNormalize(stopGradient(queue.embeddings), normalize));
}

/** `[R, C + Q]` from `[R, C]` and `[R, Q]` (the batch's part alone when Q = 0). */
export function withQueueColumns(batch: tf.Tensor2D, queue: tf.Tensor2D): tf.Tensor2D {
  return queue.shape[1] === 0 ? batch : (tf.concat([batch, queue], 1) as tf.Tensor2D);
}

/**
 * Logits of the 2N anchors Z = [ẑA; ẑB] against the 2N + Q candidates [Z; K̂] (`[2N, 2N + Q]`),
 * and the mask that leaves each anchor's own entry out.
 */
export function queuedSelfContrast(
  z: tf.Tensor2D,
  k: tf.Tensor2D,
  temperature: number,
): { logits: tf.Tensor2D; mask: tf.Tensor2D } {
  return tf.tidy(() => {
    const n2 = z.shape[0];
    const q = k.shape[0];
    const logits = withQueueColumns(scaledLogits(z, z, temperature), scaledLogits(z, k, temperature));
    return { logits, mask: notSelfMask(n2, n2 + q) };
  });
}
