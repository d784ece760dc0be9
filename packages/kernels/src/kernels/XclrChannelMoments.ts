import { CHANNEL_MOMENTS, channelMomentsOnHeap } from '../ops/batch-norm-training.js';
import { addedHeapKernel } from './kernel-config.js';

/**
 * Each channel's mean and variance in one SIMD pass, per group of rows with `groups` (added:
 * @xclr/models' batch norm calls it where it is registered, and uses tf.moments elsewhere).
 */
export const channelMomentsConfig = addedHeapKernel(
  CHANNEL_MOMENTS,
  (heap, { x }, attrs, scratch) => channelMomentsOnHeap(heap, x, scratch, (attrs.groups as number | undefined) ?? 1),
  ({ x }, attrs) =>
    `needs a non-empty float32 x with channels on its last axis and rows in ${(attrs.groups as number | undefined) ?? 1} ` +
    `equal groups, got ${x.dtype} [${x.shape}]`,
);
