import * as tf from '@tensorflow/tfjs-core';
import { WASM_KERNELS } from './kernels/all.js';

/** The tfjs versions these kernels were written against and tested on. */
export const TESTED_TFJS = /^4\.22\./;

/** What `registerWasmKernels` changed: kernel name → `replaced` (faster) or `added` (was missing). */
export type KernelPatches = Record<string, 'replaced' | 'added'>;

let registered: KernelPatches | null = null;

/**
 * Registers WASM_KERNELS over tfjs-backend-wasm's own, keeping each replaced kernel's setupFunc
 * and handing its kernelFunc to the replacement. Must run after @tensorflow/tfjs-backend-wasm
 * registered its kernels and before the backend initialises (the engine calls each kernel's setup
 * then). Idempotent. Throws on a tfjs version the kernels were not tested on.
 */
export function registerWasmKernels(): KernelPatches {
  if (registered) return registered;
  if (!TESTED_TFJS.test(tf.version_core)) {
    throw new Error(
      `@xclr/kernels: the wasm training kernels were tested with @tensorflow/tfjs-core 4.22.x, found ${tf.version_core}. ` +
        'Pin @tensorflow/tfjs-core and @tensorflow/tfjs-backend-wasm to 4.22, or choose another backend (--backend cpu).',
    );
  }
  const stock = new Map<string, tf.KernelFunc>();
  const changes: KernelPatches = {};
  for (const { kernelName, kernelFunc } of WASM_KERNELS) {
    const existing = tf.getKernel(kernelName, 'wasm');
    if (existing) {
      stock.set(kernelName, existing.kernelFunc);
      tf.unregisterKernel(kernelName, 'wasm');
    }
    tf.registerKernel({ kernelName, backendName: 'wasm', setupFunc: existing?.setupFunc, kernelFunc: kernelFunc(stock) });
    changes[kernelName] = existing ? 'replaced' : 'added';
  }
  registered = changes;
  return changes;
}
