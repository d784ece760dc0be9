import * as tf from '@tensorflow/tfjs-core';
import { checkEmbeddings, checkPositive, checkSameShape, checkSimilarity, fail } from './checks.js';
import { maybeNormalize } from './normalize.js';
import {
  checkQueue,
  checkQueueSimilarity,
  type LossQueue,
  queueCandidates,
  queuedSelfContrast,
  withQueueColumns,
} from './queue.js';
import { softTargetCrossEntropy } from './soft-target-cross-entropy.js';
import { identityMatrix, notSelfMask, scaledLogits, stackViews, tileForViews } from './two-view.js';
import type { XclrLossOptions } from './xclr.js';

/** `xclrLoss`'s options; the queued form is not row-blocked (memory O(2N × (2N + Q))). */
export type XclrQueueLossOptions = Omit<XclrLossOptions, 'blockSize'>;

const FN = 'xclrQueueLoss';

function resolve(fn: string, options: XclrQueueLossOptions) {
  const { temperature = 0.1, targetTemperature = 0.1, mode = 'all', normalize = true } = options;
  checkPositive(fn, 'temperature', temperature);
  checkPositive(fn, 'targetTemperature', targetTemperature);
  if (mode !== 'all' && mode !== 'cross') fail(fn, `mode must be 'all' or 'cross', got ${String(mode)}`);
  return { temperature, targetTemperature, mode, normalize };
}

/**
 * 'all'-mode targets over the candidates [A; B; K]: anchor i of either view has the row
 * [S_i, S_i, SQ_i] with its own entry left out, softmaxed at τ_s. With E = exp((S − m) / τ_s) and
 * E_Q = exp((SQ − m) / τ_s) (m the row max), Z_i = 2 Σ_j E_ij − E_ii + Σ_q E_Q,iq normalises every
 * part, so the exp runs on [N, N + Q] before the rows are laid out for both views.
 */
function allModeQueueTargets(similarity: tf.Tensor2D, queueSimilarity: tf.Tensor2D, targetTemperature: number): tf.Tensor2D {
  return tf.tidy(() => {
    const n = similarity.shape[0];
    const q = queueSimilarity.shape[1];
    const scaled = tf.div(similarity, targetTemperature);
    const scaledQueue = tf.div(queueSimilarity, targetTemperature);
    const rowMax = q === 0 ? tf.max(scaled, 1, true) : tf.maximum(tf.max(scaled, 1, true), tf.max(scaledQueue, 1, true));
    const e = tf.exp(tf.sub(scaled, rowMax));
    const eQueue = tf.exp(tf.sub(scaledQueue, rowMax));
    const batchSum = tf.sub(tf.mul(tf.sum(e, 1, true), 2), tf.sum(tf.mul(identityMatrix(n), e), 1, true));
    const z = q === 0 ? batchSum : tf.add(batchSum, tf.sum(eQueue, 1, true));
    const p = tf.div(e, z) as tf.Tensor2D;
    const pQueue = tf.div(eQueue, z) as tf.Tensor2D;
    return withQueueColumns(tileForViews(tf.mul(p, notSelfMask(n, n)) as tf.Tensor2D, p), tf.concat([pQueue, pQueue], 0));
  });
}

/** 'cross'-mode targets: A_i over [B; K] is softmax([S_i, SQ_i] / τ_s), B_j over [A; K] softmax([S_:j, SQ_j] / τ_s). */
function crossModeQueueTargets(
  similarity: tf.Tensor2D,
  queueSimilarity: tf.Tensor2D,
  targetTemperature: number,
): [tf.Tensor2D, tf.Tensor2D] {
  return tf.tidy(() => {
    const rows = (graph: tf.Tensor2D) =>
      tf.softmax(tf.div(withQueueColumns(graph, queueSimilarity), targetTemperature)) as tf.Tensor2D;
    return [rows(similarity), rows(tf.transpose(similarity))];
  });
}

/**
 * The soft targets X-CLR trains towards with a queue, for inspection: in `'all'` mode `[2N, 2N + Q]`
 * (anchors A then B, against candidates A, B, queue; each anchor's own entry 0), in `'cross'` mode
 * `[2N, N + Q]` (A against B and the queue, then B against A and the queue).
 *
 * @param similarity `[N, N]` sample graph of the batch.
 * @param queueSimilarity `[N, Q]` similarity of the batch's samples to the queue's entries.
 */
export function xclrQueueTargets(
  similarity: tf.Tensor2D,
  queueSimilarity: tf.Tensor2D,
  options: Pick<XclrLossOptions, 'targetTemperature' | 'mode'> = {},
): tf.Tensor2D {
  const fn = 'xclrQueueTargets';
  const { targetTemperature, mode } = resolve(fn, options);
  checkSimilarity(fn, similarity, similarity.shape[0]);
  checkQueueSimilarity(fn, queueSimilarity, similarity.shape[0], queueSimilarity?.shape[1] ?? 0);
  return tf.tidy(() => {
    if (mode === 'cross') return tf.concat(crossModeQueueTargets(similarity, queueSimilarity, targetTemperature), 0);
    return allModeQueueTargets(similarity, queueSimilarity, targetTemperature);
  });
}

/**
 * X-CLR over the batch and a memory queue: every anchor's candidates are the batch's other
 * embeddings plus the queue's Q entries, and its soft targets the softmax at τ_s of its caption or
 * class similarity to all of them. A queue entry is not a negative, as in MoCo, but a candidate
 * with a target of its own: related samples from earlier batches pull, unrelated ones push. No
 * gradient reaches the queue. With Q = 0 this is `xclrLoss`.
 *
 * @param zA `[N, D]` first view of N samples.
 * @param zB `[N, D]` second view of the same samples.
 * @param similarity `[N, N]` sample graph of the batch (as for `xclrLoss`).
 * @param queue `embeddings` `[Q, D]` and `similarity` `[N, Q]`, the batch samples' similarity to the entries.
 */
export function xclrQueueLoss(
  zA: tf.Tensor2D,
  zB: tf.Tensor2D,
  similarity: tf.Tensor2D,
  queue: LossQueue,
  options: XclrQueueLossOptions = {},
): tf.Scalar {
  checkEmbeddings(FN, 'zA', zA);
  checkEmbeddings(FN, 'zB', zB);
  checkSameShape(FN, 'zA', zA, 'zB', zB);
  const n = zA.shape[0];
  checkSimilarity(FN, similarity, n);
  const q = checkQueue(FN, queue, zA.shape[1]);
  const queueSimilarity = queue.similarity;
  checkQueueSimilarity(FN, queueSimilarity, n, q);
  const { temperature, targetTemperature, mode, normalize } = resolve(FN, options);
  return tf.tidy(() => {
    const k = queueCandidates(queue, normalize);
    if (mode === 'cross') {
      const a = maybeNormalize(zA, normalize);
      const b = maybeNormalize(zB, normalize);
      const [targetsA, targetsB] = crossModeQueueTargets(similarity, queueSimilarity, targetTemperature);
      const logitsA = withQueueColumns(scaledLogits(a, b, temperature), scaledLogits(a, k, temperature));
      const logitsB = withQueueColumns(scaledLogits(b, a, temperature), scaledLogits(b, k, temperature));
      const aToB = softTargetCrossEntropy(logitsA, targetsA);
      const bToA = softTargetCrossEntropy(logitsB, targetsB);
      return tf.mul(tf.add(aToB, bToA), 0.5) as tf.Scalar;
    }
    const { logits, mask } = queuedSelfContrast(stackViews(zA, zB, normalize), k, temperature);
    const targets = allModeQueueTargets(similarity, queueSimilarity, targetTemperature);
    return softTargetCrossEntropy(logits, targets, { mask }) as tf.Scalar;
  });
}
