import { BATCH_NORM_GRAD, batchNormGradOnHeap } from '../ops/batch-norm-training.js';
import { addedHeapKernel } from './kernel-config.js';

/**
 * Training-mode batch norm's gradients (x, scale, offset) in two SIMD passes, per group of rows
 * with `groups` (added: @xclr/models' batch norm calls it where it is registered, and composes it
 * from tfjs ops elsewhere).
 */
export const batchNormGradConfig = addedHeapKernel(
  BATCH_NORM_GRAD,
  (heap, { dy, x, mean, variance, scale }, attrs, scratch) =>
    batchNormGradOnHeap(
      heap,
      { dy, x, mean, variance, scale },
      (attrs.varianceEpsilon as number | undefined) ?? 1e-3,
      scratch,
      (attrs.groups as number | undefined) ?? 1,
    ),
  ({ dy, x, mean, variance, scale }, attrs) => {
    const groups = (attrs.groups as number | undefined) ?? 1;
    return (
      `needs float32 dy and x of one non-empty shape [..., C] (rows in ${groups} equal groups), float32 mean and variance ` +
      `of ${groups} × C values and scale of C, got dy ${dy.dtype} [${dy.shape}], x ${x.dtype} [${x.shape}], ` +
      `mean [${mean.shape}], variance [${variance.shape}], scale [${scale.shape}]`
    );
  },
);
