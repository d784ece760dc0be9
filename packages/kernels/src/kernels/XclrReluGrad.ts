import { asHeapBackend } from '../core/heap.js';
import type { TensorInfo } from '../core/kernel-call.js';
import { RELU_GRAD, reluGradOnHeap } from '../ops/relu-grad.js';
import type { WasmKernelPatch } from './kernel-config.js';

/** ReLU's input gradient in one SIMD pass (added: the lean Relu gradient calls it). */
export const reluGradConfig: WasmKernelPatch = {
  kernelName: RELU_GRAD,
  kernelFunc:
    () =>
    ({ inputs, backend }) => {
      const { dy, x } = inputs as Record<string, TensorInfo>;
      const out = reluGradOnHeap(asHeapBackend(backend), dy, x);
      if (out == null) {
        throw new Error(`@xclr/kernels: ${RELU_GRAD} needs float32 dy and x on a wasm heap, got ${dy.dtype} and ${x.dtype}`);
      }
      return out;
    },
};
