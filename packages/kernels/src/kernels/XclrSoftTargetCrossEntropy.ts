import type * as tf from '@tensorflow/tfjs-core';
import { asHeapBackend } from '../core/heap.js';
import { KernelCall, type TensorInfo } from '../core/kernel-call.js';
import { SOFT_TARGET_CROSS_ENTROPY, softTargetCrossEntropyOnHeap } from '../ops/soft-target-cross-entropy.js';
import type { WasmKernelPatch } from './kernel-config.js';

/**
 * Soft-target cross-entropy per row and its gradient in three SIMD passes (added: @xclr/losses
 * calls it where it is registered, and composes the same from tfjs ops elsewhere).
 */
export const softTargetCrossEntropyConfig: WasmKernelPatch = {
  kernelName: SOFT_TARGET_CROSS_ENTROPY,
  kernelFunc:
    () =>
    ({ inputs, backend, attrs }) => {
      const { logits, targets } = inputs as Record<string, TensorInfo>;
      const heap = asHeapBackend(backend);
      // the per-row scratch arrays, freed with the call
      const call = new KernelCall(backend as tf.KernelBackend, new Map(), SOFT_TARGET_CROSS_ENTROPY);
      try {
        const scratch = (shape: number[]) => call.track(heap.makeOutput(shape, 'float32'));
        const excludeSelf = attrs?.excludeSelf === true;
        const offset = (attrs?.selfColumnOffset as number | undefined) ?? 0;
        const out = softTargetCrossEntropyOnHeap(heap, logits, targets, excludeSelf, offset, scratch);
        if (out == null) {
          throw new Error(
            `@xclr/kernels: ${SOFT_TARGET_CROSS_ENTROPY} needs float32 [R, C] logits and targets of one shape on a wasm heap ` +
              `and a selfColumnOffset that is an integer ≥ 0, got ${logits.dtype} [${logits.shape}] and ${targets.dtype} [${targets.shape}], offset ${offset}`,
          );
        }
        return out;
      } finally {
        call.release();
      }
    },
};
