import type * as tf from '@tensorflow/tfjs-core';
import { asHeapBackend } from '../core/heap.js';
import { KernelCall, type TensorInfo } from '../core/kernel-call.js';
import { BATCH_NORM_GRAD, batchNormGradOnHeap } from '../ops/batch-norm-training.js';
import type { WasmKernelPatch } from './kernel-config.js';

/**
 * Training-mode batch norm's gradients (x, scale, offset) in two SIMD passes, per group of rows
 * with `groups` (added: @xclr/models' batch norm calls it where it is registered, and composes it
 * from tfjs ops elsewhere).
 */
export const batchNormGradConfig: WasmKernelPatch = {
  kernelName: BATCH_NORM_GRAD,
  kernelFunc:
    () =>
    ({ inputs, backend, attrs }) => {
      const { dy, x, mean, variance, scale } = inputs as Record<string, TensorInfo>;
      const heap = asHeapBackend(backend);
      const epsilon = (attrs?.varianceEpsilon as number | undefined) ?? 1e-3;
      const groups = (attrs?.groups as number | undefined) ?? 1;
      const call = new KernelCall(backend as tf.KernelBackend, new Map(), BATCH_NORM_GRAD);
      try {
        const scratch = (shape: number[]) => call.track(heap.makeOutput(shape, 'float32'));
        const out = batchNormGradOnHeap(heap, { dy, x, mean, variance, scale }, epsilon, scratch, groups);
        if (out == null) {
          throw new Error(
            `@xclr/kernels: ${BATCH_NORM_GRAD} needs float32 dy and x of one non-empty shape [..., C] (rows in ${groups} ` +
              `equal groups), float32 mean and variance of ${groups} × C values and scale of C, got dy ${dy.dtype} [${dy.shape}], x ${x.dtype} [${x.shape}], ` +
              `mean [${mean.shape}], variance [${variance.shape}], scale [${scale.shape}]`,
          );
        }
        return out;
      } finally {
        call.release();
      }
    },
};
