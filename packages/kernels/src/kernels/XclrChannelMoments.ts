import type * as tf from '@tensorflow/tfjs-core';
import { asHeapBackend } from '../core/heap.js';
import { KernelCall, type TensorInfo } from '../core/kernel-call.js';
import { CHANNEL_MOMENTS, channelMomentsOnHeap } from '../ops/batch-norm-training.js';
import type { WasmKernelPatch } from './kernel-config.js';

/**
 * Each channel's mean and variance in one SIMD pass, per group of rows with `groups` (added:
 * @xclr/models' batch norm calls it where it is registered, and uses tf.moments elsewhere).
 */
export const channelMomentsConfig: WasmKernelPatch = {
  kernelName: CHANNEL_MOMENTS,
  kernelFunc:
    () =>
    ({ inputs, backend, attrs }) => {
      const { x } = inputs as Record<string, TensorInfo>;
      const groups = (attrs?.groups as number | undefined) ?? 1;
      const heap = asHeapBackend(backend);
      const call = new KernelCall(backend as tf.KernelBackend, new Map(), CHANNEL_MOMENTS);
      try {
        const out = channelMomentsOnHeap(heap, x, (shape) => call.track(heap.makeOutput(shape, 'float32')), groups);
        if (out == null) {
          throw new Error(
            `@xclr/kernels: ${CHANNEL_MOMENTS} needs a non-empty float32 x with channels on its last axis and rows in ` +
              `${groups} equal groups, got ${x.dtype} [${x.shape}]`,
          );
        }
        return out;
      } finally {
        call.release();
      }
    },
};
