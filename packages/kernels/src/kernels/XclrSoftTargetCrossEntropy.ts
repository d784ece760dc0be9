import { SOFT_TARGET_CROSS_ENTROPY, softTargetCrossEntropyOnHeap } from '../ops/soft-target-cross-entropy.js';
import { addedHeapKernel } from './kernel-config.js';

const selfColumnOffset = (attrs: Record<string, unknown>) => (attrs.selfColumnOffset as number | undefined) ?? 0;

/**
 * Soft-target cross-entropy per row and its gradient in three SIMD passes (added: @xclr/losses
 * calls it where it is registered, and composes the same from tfjs ops elsewhere).
 */
export const softTargetCrossEntropyConfig = addedHeapKernel(
  SOFT_TARGET_CROSS_ENTROPY,
  (heap, { logits, targets }, attrs, scratch) =>
    softTargetCrossEntropyOnHeap(heap, logits, targets, attrs.excludeSelf === true, selfColumnOffset(attrs), scratch),
  ({ logits, targets }, attrs) =>
    'needs float32 [R, C] logits and targets of one shape on a wasm heap and a selfColumnOffset that is an integer ≥ 0, ' +
    `got ${logits.dtype} [${logits.shape}] and ${targets.dtype} [${targets.shape}], offset ${selfColumnOffset(attrs)}`,
);
