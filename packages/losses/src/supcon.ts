import * as tf from '@tensorflow/tfjs-core';
import { blockedSelfContrast, resolveBlockSize, rowsForViews, type TargetRows } from './blocked-self-contrast.js';
import { checkEmbeddings, checkPositive, checkSameShape, fail } from './checks.js';
import { defineLoss } from './loss-definition.js';
import { maybeNormalize } from './normalize.js';
import { softTargetCrossEntropy } from './soft-target-cross-entropy.js';
import { supConQueueLoss } from './supcon-queue.js';
import { notSelfMask, scaledLogits, stackViews } from './two-view.js';

export interface SupConLossOptions {
  /** Temperature τ. Default 0.07. */
  temperature?: number;
  /** The loss is scaled by temperature / baseTemperature, as in the reference. Default 0.07. */
  baseTemperature?: number;
  /** `'all'` (default): every view is an anchor. `'one'`: only view A's embeddings are anchors. */
  contrastMode?: 'all' | 'one';
  /** L2-normalise the embeddings first (default true). */
  normalize?: boolean;
  /**
   * Two views, `'all'` mode: anchors per block (memory O(blockSize × 2N) instead of O((2N)²));
   * `'auto'` (default) blocks above N = 2048.
   */
  blockSize?: number | 'auto';
}

const FN = 'supConLoss';

function checkLabels(labels: tf.Tensor, n: number): asserts labels is tf.Tensor1D {
  if (labels == null) fail(FN, `labels is required, expected an int32 [${n}] tensor`);
  if (labels.rank !== 1 || labels.shape[0] !== n) {
    fail(FN, `labels must be an int32 [${n}] tensor (one label per sample), got shape [${labels.shape.join(', ')}]`);
  }
  if (labels.dtype !== 'int32') fail(FN, `labels must be int32, got ${labels.dtype}`);
}

/** With a single view, a sample only has positives if another sample shares its label. */
function checkSomePositive(labels: tf.Tensor1D): void {
  const values = labels.dataSync();
  if (new Set(values).size === values.length) {
    fail(
      FN,
      'no anchor has a positive: with a single view (zB = null) every label in the batch is unique; ' +
        'pass a second view or batches with repeated labels',
    );
  }
}

/**
 * Same-label rows for one block of two-view anchors: every other embedding of the anchor's class,
 * weighted 1 / (2 c − 1) for a class with c samples in the batch (both views, self excluded).
 */
const sameLabelRows: TargetRows = (view, start, size, labels) => {
  if (labels == null) throw new Error(`${FN}: the blocked loss lost its labels`);
  return tf.tidy(() => {
    const same = tf.cast(tf.equal(tf.expandDims(tf.slice(labels, [start], [size]), 1), tf.expandDims(labels, 0)), 'float32');
    const count = tf.sub(tf.mul(tf.sum(same, 1, true), 2), 1);
    return tf.div(rowsForViews(view, start, same as tf.Tensor2D), count) as tf.Tensor2D;
  });
};

/**
 * Supervised contrastive loss L_out (Khosla et al., 2020), as the reference `SupConLoss`: each
 * anchor's positives are all other embeddings with its label, weighted equally. Anchors without
 * any positive (possible only with `zB = null`) are left out of the mean.
 *
 * @param zA `[N, D]` first view.
 * @param zB `[N, D]` second view, or `null` for a single view.
 * @param labels `[N]` int32 class labels.
 */
export function supConLoss(
  zA: tf.Tensor2D,
  zB: tf.Tensor2D | null,
  labels: tf.Tensor1D,
  options: SupConLossOptions = {},
): tf.Scalar {
  const { temperature = 0.07, baseTemperature = 0.07, contrastMode = 'all', normalize = true, blockSize = 'auto' } = options;
  checkEmbeddings(FN, 'zA', zA);
  if (zB != null) {
    checkEmbeddings(FN, 'zB', zB);
    checkSameShape(FN, 'zA', zA, 'zB', zB);
  }
  checkLabels(labels, zA.shape[0]);
  checkPositive(FN, 'temperature', temperature);
  checkPositive(FN, 'baseTemperature', baseTemperature);
  if (contrastMode !== 'all' && contrastMode !== 'one') {
    fail(FN, `contrastMode must be 'all' or 'one', got ${String(contrastMode)}`);
  }
  if (zB == null) checkSomePositive(labels);
  // Two views in 'all' mode is the two-view self-contrast of NT-Xent and X-CLR (every anchor has
  // its other view as a positive), which can run in blocks; the other forms are [N, ·] anyway.
  const block = zB != null && contrastMode === 'all' ? resolveBlockSize(FN, blockSize, zA.shape[0]) : null;
  return tf.tidy(() => {
    if (block != null && zB != null) {
      const z = stackViews(zA, zB, normalize);
      return tf.mul(
        blockedSelfContrast(z, sameLabelRows, temperature, block, labels),
        temperature / baseTemperature,
      ) as tf.Scalar;
    }
    const a = maybeNormalize(zA, normalize);
    const contrast = zB == null ? a : tf.concat([a, maybeNormalize(zB, normalize)], 0);
    const contrastLabels = zB == null ? labels : tf.concat([labels, labels]);
    const anchors = contrastMode === 'one' ? a : contrast;
    const anchorLabels = contrastMode === 'one' ? labels : contrastLabels;
    const rows = anchors.shape[0];
    const cols = contrast.shape[0];
    const mask = notSelfMask(rows, cols);
    const positives = tf.mul(
      tf.cast(tf.equal(tf.expandDims(anchorLabels, 1), tf.expandDims(contrastLabels, 0)), 'float32'),
      mask,
    );
    const positiveCount = tf.sum(positives, 1, true);
    const targets = tf.div(positives, tf.maximum(positiveCount, 1)) as tf.Tensor2D;
    // The targets are 0 on the self-pairs already (positives exclude them).
    const perAnchor = softTargetCrossEntropy(scaledLogits(anchors, contrast, temperature), targets, {
      excludeSelf: true,
      reduction: 'none',
    });
    const hasPositive = tf.cast(tf.greater(tf.squeeze(positiveCount, [1]), 0), 'float32');
    const mean = tf.div(tf.sum(tf.mul(perAnchor, hasPositive)), tf.sum(hasPositive));
    return tf.mul(mean, temperature / baseTemperature) as tf.Scalar;
  });
}

/**
 * SupCon by name (`createLoss('supcon', options)`): `context.labels` holds one integer label per
 * sample, as an int32 `[N]` tensor, an Int32Array or a number array; with `context.queue` (its
 * `labels`), the queued form, `supConQueueLoss`.
 */
export const supConDefinition = defineLoss({
  name: 'supcon',
  needs: ['labels'],
  description: "Supervised contrastive loss: every other embedding with the anchor's label is a positive (Khosla et al., 2020)",
  build: (options: SupConLossOptions) => (zA, zB, context) => {
    const { labels } = context;
    if (context.queue) return supConQueueLoss(zA, zB, labels, context.queue, options);
    if (labels instanceof tf.Tensor) return supConLoss(zA, zB, labels, options);
    checkEmbeddings(FN, 'zA', zA);
    const n = zA.shape[0];
    if (labels.length !== n) {
      fail('supcon loss', `context.labels has ${labels.length} labels for the ${n} samples of zA; pass one label per sample`);
    }
    if (!Array.from(labels).every(Number.isInteger)) fail('supcon loss', 'context.labels must be integers');
    return supConLoss(zA, zB, tf.tensor1d(labels as number[], 'int32'), options);
  },
});
