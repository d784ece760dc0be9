import type * as tf from '@tensorflow/tfjs-core';
import { asHeapBackend } from '../core/heap.js';
import { KernelCall, type TensorInfo } from '../core/kernel-call.js';
import { SUM_OF_SQUARES, sumOfSquaresOnHeap } from '../ops/sum-of-squares.js';
import type { WasmKernelPatch } from './kernel-config.js';

/** Σ x² in one SIMD pass, no squared copy (added: a training step's gradient norm calls it where it is registered). */
export const sumOfSquaresConfig: WasmKernelPatch = {
  kernelName: SUM_OF_SQUARES,
  kernelFunc:
    () =>
    ({ inputs, backend }) => {
      const { x } = inputs as Record<string, TensorInfo>;
      const heap = asHeapBackend(backend);
      const call = new KernelCall(backend as tf.KernelBackend, new Map(), SUM_OF_SQUARES);
      try {
        const out = sumOfSquaresOnHeap(heap, x, (shape) => call.track(heap.makeOutput(shape, 'float32')));
        if (out == null) throw new Error(`@xclr/kernels: ${SUM_OF_SQUARES} needs a float32 x, got ${x.dtype} [${x.shape}]`);
        return out;
      } finally {
        call.release();
      }
    },
};
