import type * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '../core/kernel-call.js';
import { shareBuffer } from '../ops/identity.js';
import type { WasmKernelPatch } from './kernel-config.js';

/** Identity shares its input's buffer instead of copying it. */
export const identityConfig: WasmKernelPatch = {
  kernelName: 'Identity',
  kernelFunc: (stock) => (args) => {
    const { x } = args.inputs as Record<string, TensorInfo>;
    return shareBuffer(args.backend, x) ?? (stock.get('Identity') as tf.KernelFunc)(args);
  },
};
