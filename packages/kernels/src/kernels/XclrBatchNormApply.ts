import { BATCH_NORM_APPLY, batchNormApplyOnHeap } from '../ops/batch-norm-training.js';
import { addedHeapKernel } from './kernel-config.js';

/**
 * Batch norm's output from given statistics in one SIMD pass, per group of rows with `groups`
 * (added: @xclr/models' batch norm calls it for groups where it is registered; FusedBatchNorm
 * has one mean and variance per channel).
 */
export const batchNormApplyConfig = addedHeapKernel(
  BATCH_NORM_APPLY,
  (heap, { x, mean, variance, scale, offset }, attrs, scratch) =>
    batchNormApplyOnHeap(
      heap,
      { x, mean, variance, scale, offset },
      (attrs.varianceEpsilon as number | undefined) ?? 1e-3,
      scratch,
      (attrs.groups as number | undefined) ?? 1,
    ),
  ({ x, mean, variance, scale, offset }, attrs) => {
    const groups = (attrs.groups as number | undefined) ?? 1;
    return (
      `needs a float32 x [..., C] (rows in ${groups} equal groups), float32 mean and variance of ${groups} × C values, ` +
      `scale and offset of C, got x ${x.dtype} [${x.shape}], mean [${mean.shape}], variance [${variance.shape}], ` +
      `scale [${scale.shape}], offset [${offset.shape}]`
    );
  },
);
