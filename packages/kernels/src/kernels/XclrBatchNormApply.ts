import type * as tf from '@tensorflow/tfjs-core';
import { asHeapBackend } from '../core/heap.js';
import { KernelCall, type TensorInfo } from '../core/kernel-call.js';
import { BATCH_NORM_APPLY, batchNormApplyOnHeap } from '../ops/batch-norm-training.js';
import type { WasmKernelPatch } from './kernel-config.js';

/**
 * Batch norm's output from given statistics in one SIMD pass, per group of rows with `groups`
 * (added: @xclr/models' batch norm calls it for groups where it is registered; FusedBatchNorm
 * has one mean and variance per channel).
 */
export const batchNormApplyConfig: WasmKernelPatch = {
  kernelName: BATCH_NORM_APPLY,
  kernelFunc:
    () =>
    ({ inputs, backend, attrs }) => {
      const { x, mean, variance, scale, offset } = inputs as Record<string, TensorInfo>;
      const heap = asHeapBackend(backend);
      const epsilon = (attrs?.varianceEpsilon as number | undefined) ?? 1e-3;
      const groups = (attrs?.groups as number | undefined) ?? 1;
      const call = new KernelCall(backend as tf.KernelBackend, new Map(), BATCH_NORM_APPLY);
      try {
        const scratch = (shape: number[]) => call.track(heap.makeOutput(shape, 'float32'));
        const out = batchNormApplyOnHeap(heap, { x, mean, variance, scale, offset }, epsilon, scratch, groups);
        if (out == null) {
          throw new Error(
            `@xclr/kernels: ${BATCH_NORM_APPLY} needs a float32 x [..., C] (rows in ${groups} equal groups), float32 mean ` +
              `and variance of ${groups} × C values, scale and offset of C, got x ${x.dtype} [${x.shape}], mean [${mean.shape}], ` +
              `variance [${variance.shape}], scale [${scale.shape}], offset [${offset.shape}]`,
          );
        }
        return out;
      } finally {
        call.release();
      }
    },
};
