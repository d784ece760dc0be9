import * as tf from '@tensorflow/tfjs-core';
import { checkEmbeddings, checkPositive, checkSameShape } from './checks.js';
import type { NtXentLossOptions } from './nt-xent.js';
import { indexRange, oneHotRows } from './one-hot.js';
import { checkQueue, type LossQueue, queueCandidates, queuedSelfContrast } from './queue.js';
import { softTargetCrossEntropy } from './soft-target-cross-entropy.js';
import { stackViews } from './two-view.js';

/** `ntXentLoss`'s options; the queued form is not row-blocked (memory O(2N × (2N + Q))). */
export type NtXentQueueLossOptions = Omit<NtXentLossOptions, 'blockSize'>;

/**
 * NT-Xent over the batch and a memory queue, MoCo's hard form: each of the 2N anchors has its
 * other view as the one positive, and every other embedding of the batch and all Q queue entries
 * as negatives. No gradient reaches the queue. With Q = 0 this is `ntXentLoss`.
 *
 * @param zA `[N, D]` first view.
 * @param zB `[N, D]` second view.
 * @param queue `embeddings` `[Q, D]`: earlier batches' embeddings (other keys are ignored).
 */
export function ntXentQueueLoss(
  zA: tf.Tensor2D,
  zB: tf.Tensor2D,
  queue: LossQueue,
  options: NtXentQueueLossOptions = {},
): tf.Scalar {
  const FN = 'ntXentQueueLoss';
  const { temperature = 0.1, normalize = true } = options;
  checkEmbeddings(FN, 'zA', zA);
  checkEmbeddings(FN, 'zB', zB);
  checkSameShape(FN, 'zA', zA, 'zB', zB);
  const q = checkQueue(FN, queue, zA.shape[1]);
  checkPositive(FN, 'temperature', temperature);
  return tf.tidy(() => {
    const n = zA.shape[0];
    const { logits, mask } = queuedSelfContrast(stackViews(zA, zB, normalize), queueCandidates(queue, normalize), temperature);
    // Anchor i's positive is i + N (and i + N's is i); no queue entry is a positive.
    const targets = oneHotRows(tf.concat([indexRange(n, n), indexRange(0, n)]), 2 * n + q);
    return softTargetCrossEntropy(logits, targets, { mask }) as tf.Scalar;
  });
}
