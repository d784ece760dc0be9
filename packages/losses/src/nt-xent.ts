import * as tf from '@tensorflow/tfjs-core';
import { blockedSelfContrast, resolveBlockSize, rowsForViews, type TargetRows } from './blocked-self-contrast.js';
import { checkEmbeddings, checkPositive, checkSameShape } from './checks.js';
import { defineLoss } from './loss-definition.js';
import { ntXentQueueLoss } from './nt-xent-queue.js';
import { indexRange, oneHotRows } from './one-hot.js';
import { softTargetCrossEntropy } from './soft-target-cross-entropy.js';
import { scaledLogits, stackViews } from './two-view.js';

export interface NtXentLossOptions {
  /** Temperature τ. Default 0.1. */
  temperature?: number;
  /** L2-normalise the embeddings first (default true). */
  normalize?: boolean;
  /** Anchors per block (memory O(blockSize × 2N)); `'auto'` (default) blocks above N = 2048. */
  blockSize?: number | 'auto';
}

/** The identity graph's rows for one block: anchor i of one view has its positive at i in the other. */
function positiveRows(n: number): TargetRows {
  return (view, start, size) => tf.tidy(() => rowsForViews(view, start, oneHotRows(indexRange(start, size), n)));
}

export function ntXentLoss(zA: tf.Tensor2D, zB: tf.Tensor2D, options: NtXentLossOptions = {}): tf.Scalar {
  const FN = 'ntXentLoss';
  const { temperature = 0.1, normalize = true, blockSize = 'auto' } = options;
  checkEmbeddings(FN, 'zA', zA);
  checkEmbeddings(FN, 'zB', zB);
  checkSameShape(FN, 'zA', zA, 'zB', zB);
  checkPositive(FN, 'temperature', temperature);
  const block = resolveBlockSize(FN, blockSize, zA.shape[0]);
  return tf.tidy(() => {
    const n = zA.shape[0];
    const z = stackViews(zA, zB, normalize);
    if (block != null) return blockedSelfContrast(z, positiveRows(n), temperature, block);
    // Anchor i's positive is i + N (and i + N's is i): the identity graph, shifted by one view.
    const targets = oneHotRows(tf.concat([indexRange(n, n), indexRange(0, n)]), 2 * n);
    return softTargetCrossEntropy(scaledLogits(z, z, temperature), targets, { excludeSelf: true }) as tf.Scalar;
  });
}

/** NT-Xent by name (`createLoss('ntxent', options)`): needs no context; with `context.queue`, `ntXentQueueLoss`. */
export const ntXentDefinition = defineLoss({
  name: 'ntxent',
  needs: [],
  description: "SimCLR's NT-Xent: each embedding's positive is the other view of its sample (Chen et al., 2020)",
  build: (options: NtXentLossOptions) => (zA, zB, context) =>
    context.queue ? ntXentQueueLoss(zA, zB, context.queue, options) : ntXentLoss(zA, zB, options),
});
