import * as tf from '@tensorflow/tfjs-core';
import { checkEmbeddings, checkPositive, checkSameShape, fail } from './checks.js';
import { maybeNormalize } from './normalize.js';
import { checkQueue, type LossQueue, queueCandidates, withQueueColumns } from './queue.js';
import { softTargetCrossEntropy } from './soft-target-cross-entropy.js';
import type { SupConLossOptions } from './supcon.js';
import { notSelfMask, scaledLogits } from './two-view.js';

/** `supConLoss`'s options; the queued form is not row-blocked (memory O(2N × (2N + Q))). */
export type SupConQueueLossOptions = Omit<SupConLossOptions, 'blockSize'>;

const FN = 'supConQueueLoss';

type Labels = tf.Tensor1D | Int32Array | readonly number[];

/** Checks `n` integer labels (an int32 `[n]` tensor or an array) without making a tensor. */
function checkLabels(
  name: string,
  labels: tf.Tensor | Int32Array | readonly number[] | undefined,
  n: number,
): asserts labels is Labels {
  const what = name === 'labels' ? 'sample' : 'entry';
  if (labels == null) fail(FN, `${name} is required, expected ${n} integer labels (one per ${what})`);
  if (labels instanceof tf.Tensor) {
    if (labels.rank !== 1 || labels.shape[0] !== n)
      fail(FN, `${name} must be an int32 [${n}] tensor (one label per ${what}), got shape [${labels.shape.join(', ')}]`);
    if (labels.dtype !== 'int32') fail(FN, `${name} must be int32, got ${labels.dtype}`);
    return;
  }
  if (labels.length !== n) fail(FN, `${name} must hold ${n} labels (one per ${what}), got ${labels.length}`);
  if (!Array.from(labels).every(Number.isInteger)) fail(FN, `${name} must be integers`);
}

const valuesOf = (labels: Labels) => (labels instanceof tf.Tensor ? labels.dataSync() : labels);
const asTensor = (labels: Labels) => (labels instanceof tf.Tensor ? labels : tf.tensor1d(Array.from(labels), 'int32'));

/**
 * SupCon over the batch and a memory queue: the queue's entries join every anchor's candidates
 * with the label stored beside them, so each anchor's positives are the other embeddings of its
 * class in the batch and in the queue, weighted equally (Khosla et al. 2020 with MoCo's queue, as
 * in PaCo and XBM). Queue entries are never anchors, and no gradient reaches them. Anchors without
 * any positive are left out of the mean. With Q = 0 this is `supConLoss`.
 *
 * @param zA `[N, D]` first view.
 * @param zB `[N, D]` second view, or `null` for a single view.
 * @param labels the batch's N class labels (an int32 `[N]` tensor, Int32Array or number[]).
 * @param queue `embeddings` `[Q, D]` and `labels` (`[Q]`, an int32 tensor, Int32Array or number[]).
 */
export function supConQueueLoss(
  zA: tf.Tensor2D,
  zB: tf.Tensor2D | null,
  labels: tf.Tensor1D | Int32Array | readonly number[],
  queue: LossQueue,
  options: SupConQueueLossOptions = {},
): tf.Scalar {
  const { temperature = 0.07, baseTemperature = 0.07, contrastMode = 'all', normalize = true } = options;
  checkEmbeddings(FN, 'zA', zA);
  if (zB != null) {
    checkEmbeddings(FN, 'zB', zB);
    checkSameShape(FN, 'zA', zA, 'zB', zB);
  }
  const n = zA.shape[0];
  const q = checkQueue(FN, queue, zA.shape[1]);
  checkPositive(FN, 'temperature', temperature);
  checkPositive(FN, 'baseTemperature', baseTemperature);
  if (contrastMode !== 'all' && contrastMode !== 'one') {
    fail(FN, `contrastMode must be 'all' or 'one', got ${String(contrastMode)}`);
  }
  checkLabels('labels', labels, n);
  checkLabels('queue.labels', queue.labels, q);
  const queueLabelValues = queue.labels;
  if (zB == null) {
    // One view: an anchor's positives are other samples of its class, in the batch or the queue.
    const seen = new Map<number, number>();
    for (const label of [...valuesOf(labels), ...valuesOf(queueLabelValues)]) seen.set(label, (seen.get(label) ?? 0) + 1);
    if (!Array.from(valuesOf(labels)).some((label) => (seen.get(label) ?? 0) > 1)) {
      fail(FN, 'no anchor has a positive: with a single view (zB = null) every label is unique in the batch and the queue');
    }
  }
  return tf.tidy(() => {
    const batchLabels = asTensor(labels);
    const a = maybeNormalize(zA, normalize);
    const views = zB == null ? a : tf.concat([a, maybeNormalize(zB, normalize)], 0);
    const viewLabels = zB == null ? batchLabels : tf.concat([batchLabels, batchLabels]);
    const anchors = contrastMode === 'one' ? a : views;
    const anchorLabels = contrastMode === 'one' ? batchLabels : viewLabels;
    const rows = anchors.shape[0];
    const k = queueCandidates(queue, normalize);
    const logits = withQueueColumns(scaledLogits(anchors, views, temperature), scaledLogits(anchors, k, temperature));
    const contrastLabels = q === 0 ? viewLabels : tf.concat([viewLabels, asTensor(queueLabelValues)]);
    const mask = notSelfMask(rows, views.shape[0] + q);
    const same = tf.cast(tf.equal(tf.expandDims(anchorLabels, 1), tf.expandDims(contrastLabels, 0)), 'float32');
    const positives = tf.mul(same, mask);
    const positiveCount = tf.sum(positives, 1, true);
    const targets = tf.div(positives, tf.maximum(positiveCount, 1)) as tf.Tensor2D;
    const perAnchor = softTargetCrossEntropy(logits, targets, { mask, reduction: 'none' });
    const hasPositive = tf.cast(tf.greater(tf.squeeze(positiveCount, [1]), 0), 'float32');
    const mean = tf.div(tf.sum(tf.mul(perAnchor, hasPositive)), tf.sum(hasPositive));
    return tf.mul(mean, temperature / baseTemperature) as tf.Scalar;
  });
}
