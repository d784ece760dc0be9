import type * as tf from '@tensorflow/tfjs-core';
import { asHeapBackend } from '../core/heap.js';
import type { TensorInfo } from '../core/kernel-call.js';
import { nativeOffload } from '../offload/offload.js';
import type { WasmKernelPatch } from './kernel-config.js';

/** Large many-channel convolutions on the native engine where one is installed, else XNNPACK's. */
export const conv2dConfig: WasmKernelPatch = {
  kernelName: 'Conv2D',
  kernelFunc: (stock) => (args) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const offload = nativeOffload();
    const native =
      offload && preluActivationWeights == null
        ? offload.conv2d(asHeapBackend(args.backend), x as TensorInfo, filter as TensorInfo, bias ?? null, args.attrs ?? {})
        : null;
    return native ?? (stock.get('Conv2D') as tf.KernelFunc)(args);
  },
};
