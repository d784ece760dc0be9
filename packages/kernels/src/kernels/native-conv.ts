import type * as tf from '@tensorflow/tfjs-core';
import { asHeapBackend } from '../core/heap.js';
import type { TensorInfo } from '../core/kernel-call.js';
import { nativeOffload } from '../offload/offload.js';
import type { WasmKernelPatch } from './kernel-config.js';

/**
 * Conv2D / FusedConv2D: large many-channel convolutions on the native engine where one is
 * installed (it declines the rest), else the stock XNNPACK kernel.
 */
export function nativeConvKernel(kernelName: 'Conv2D' | 'FusedConv2D'): WasmKernelPatch {
  return {
    kernelName,
    kernelFunc: (stock) => (args) => {
      const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
      const offload = nativeOffload();
      const native =
        offload && preluActivationWeights == null
          ? offload.conv2d(asHeapBackend(args.backend), x as TensorInfo, filter as TensorInfo, bias ?? null, args.attrs ?? {})
          : null;
      return native ?? (stock.get(kernelName) as tf.KernelFunc)(args);
    },
  };
}
