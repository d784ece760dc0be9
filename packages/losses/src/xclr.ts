import * as tf from '@tensorflow/tfjs-core';
import { blockedSelfContrast, resolveBlockSize, rowsForViews, type TargetRows } from './blocked-self-contrast.js';
import { checkEmbeddings, checkPositive, checkSameShape, checkSimilarity, fail } from './checks.js';
import { defineLoss } from './loss-definition.js';
import { maybeNormalize } from './normalize.js';
import { softTargetCrossEntropy } from './soft-target-cross-entropy.js';
import { notSelfMask, scaledLogits, stackViews, tileForViews } from './two-view.js';
import { xclrQueueLoss } from './xclr-queue.js';

export interface XclrLossOptions {
  /** Temperature τ of the embedding logits. Default 0.1. */
  temperature?: number;
  /** Temperature τ_s of the target softmax over similarities. Default 0.1. */
  targetTemperature?: number;
  /**
   * `'all'` (default): both views as 2N anchors against the other 2N − 1 embeddings.
   * `'cross'`: view A against view B (N × N), symmetrised, as CLIP-style two-tower training.
   */
  mode?: 'all' | 'cross';
  /** L2-normalise the embeddings first (default true). */
  normalize?: boolean;
  /**
   * `'all'` mode only: anchors per block. Blocks bound memory to O(blockSize × 2N) rather than
   * O((2N)²) at the cost of one more matmul; `'auto'` (default) blocks above N = 2048.
   */
  blockSize?: number | 'auto';
}

const FN = 'xclrLoss';

function resolve(options: XclrLossOptions) {
  const { temperature = 0.1, targetTemperature = 0.1, mode = 'all', normalize = true, blockSize = 'auto' } = options;
  checkPositive(FN, 'temperature', temperature);
  checkPositive(FN, 'targetTemperature', targetTemperature);
  if (mode !== 'all' && mode !== 'cross') fail(FN, `mode must be 'all' or 'cross', got ${String(mode)}`);
  return { temperature, targetTemperature, mode, normalize, blockSize };
}

/**
 * 'all'-mode targets without tiling first: anchor (view v, sample i) has the row [S_i, S_i] with
 * its own entry excluded, so with E = exp((S − rowmax) / τ_s) its softmax is E_i over
 * Z_i = 2 Σ_j E_ij − E_ii in both halves, the diagonal zeroed in its own view's half. This returns
 * the other view's half, P = E / Z (`[N, N]`); the own view's half is P with a zero diagonal.
 * With p = softmax(S / τ_s) = E_i / Σ_j E_ij, P = p / (2 − p_ii): one softmax (a fused kernel on
 * every backend) and no exp over [N, N], on [N, N] instead of [2N, 2N].
 */
function otherViewTargets(similarity: tf.Tensor2D, targetTemperature: number): tf.Tensor2D {
  return tf.tidy(() => {
    const p = tf.softmax(tf.div(similarity, targetTemperature)) as tf.Tensor2D;
    const n = p.shape[0];
    const diagonal = tf.gather(tf.reshape(p, [-1]), tf.range(0, n * (n + 1), n + 1, 'int32'));
    return tf.div(p, tf.expandDims(tf.sub(2, diagonal), 1)) as tf.Tensor2D;
  });
}

function allModeTargets(similarity: tf.Tensor2D, targetTemperature: number): tf.Tensor2D {
  return tf.tidy(() => {
    const other = otherViewTargets(similarity, targetTemperature);
    const n = other.shape[0];
    return tileForViews(tf.mul(other, notSelfMask(n, n)) as tf.Tensor2D, other);
  });
}

/** The same targets one block of anchors at a time (`[size, 2N]` rows) from P, for the blocked loss. */
const allModeTargetRows: TargetRows = (view, start, size, other) => {
  if (other == null) throw new Error('xclrLoss: the blocked loss lost its target graph');
  const p = other as tf.Tensor2D;
  return tf.tidy(() => rowsForViews(view, start, tf.slice(p, [start, 0], [size, p.shape[1]])));
};

/**
 * The soft target graph X-CLR trains towards, for inspection and plots: in `'all'` mode the
 * `[2N, 2N]` row softmax of the tiled similarities / τ_s over b ≠ a; in `'cross'` mode the `[N, N]`
 * row softmax of similarity / τ_s (diagonal included).
 */
export function xclrTargets(
  similarity: tf.Tensor2D,
  options: Pick<XclrLossOptions, 'targetTemperature' | 'mode'> = {},
): tf.Tensor2D {
  const { targetTemperature, mode } = resolve(options);
  checkSimilarity('xclrTargets', similarity, similarity.shape[0]);
  return tf.tidy(() => {
    if (mode === 'cross') return tf.softmax(tf.div(similarity, targetTemperature)) as tf.Tensor2D;
    return allModeTargets(similarity, targetTemperature);
  });
}

/**
 * X-CLR (Sobal et al., 2025): cross-entropy of embedding similarities against a soft target
 * graph, the softmax at temperature τ_s of the samples' caption or class-description similarities.
 *
 * @param zA `[N, D]` first view of N samples.
 * @param zB `[N, D]` second view of the same samples.
 * @param similarity `[N, N]` symmetric sample similarity graph (e.g. caption cosine similarities).
 */
export function xclrLoss(zA: tf.Tensor2D, zB: tf.Tensor2D, similarity: tf.Tensor2D, options: XclrLossOptions = {}): tf.Scalar {
  checkEmbeddings(FN, 'zA', zA);
  checkEmbeddings(FN, 'zB', zB);
  checkSameShape(FN, 'zA', zA, 'zB', zB);
  checkSimilarity(FN, similarity, zA.shape[0]);
  const { temperature, targetTemperature, mode, normalize, blockSize } = resolve(options);
  const block = mode === 'all' ? resolveBlockSize(FN, blockSize, zA.shape[0]) : null;
  return tf.tidy(() => {
    if (mode === 'cross') {
      const logits = scaledLogits(maybeNormalize(zA, normalize), maybeNormalize(zB, normalize), temperature);
      const targets = tf.softmax(tf.div(similarity, targetTemperature)) as tf.Tensor2D;
      const targetsT = tf.softmax(tf.div(tf.transpose(similarity), targetTemperature)) as tf.Tensor2D;
      const aToB = softTargetCrossEntropy(logits, targets);
      const bToA = softTargetCrossEntropy(tf.transpose(logits), targetsT);
      return tf.mul(tf.add(aToB, bToA), 0.5) as tf.Scalar;
    }
    const z = stackViews(zA, zB, normalize);
    if (block != null)
      return blockedSelfContrast(z, allModeTargetRows, temperature, block, otherViewTargets(similarity, targetTemperature));
    const logits = scaledLogits(z, z, temperature);
    // The targets are 0 on the self-pairs already.
    const targets = allModeTargets(similarity, targetTemperature);
    return softTargetCrossEntropy(logits, targets, { excludeSelf: true }) as tf.Scalar;
  });
}

/**
 * X-CLR by name (`createLoss('xclr', options)`): `context.similarity` is the batch's `[N, N]` sample
 * graph; with `context.queue` (its `similarity` `[N, Q]`) the queued form, `xclrQueueLoss`.
 */
export const xclrDefinition = defineLoss({
  name: 'xclr',
  needs: ['similarity'],
  description: "X-CLR: cross-entropy against the softmax at τ_s of the batch's sample similarities (Sobal et al., 2025)",
  build: (options: XclrLossOptions) => (zA, zB, context) =>
    context.queue
      ? xclrQueueLoss(zA, zB, context.similarity, context.queue, options)
      : xclrLoss(zA, zB, context.similarity, options),
});
