import * as tf from '@tensorflow/tfjs-core';
import { setUpCpuTraining, setUpWasmTraining, type WasmTraining } from '../src/index.js';

/**
 * Makes `backend` active with this package's kernels, as @xclr/backend's useFastestBackend does
 * (the Vitest setup file has registered tfjs's gradients).
 */
export async function useBackend(
  backend: 'wasm' | 'cpu',
  options: { native?: boolean; threads?: number } = {},
): Promise<WasmTraining> {
  if (backend === 'cpu') {
    const replaced = setUpCpuTraining();
    if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise');
    return { threads: 1, native: null, notes: [`cpu kernels: ${replaced.join(', ')}`] };
  }
  // One thread unless a test asks for more: tfjs-wasm's 8-worker pool start-up has timed out under
  // CI load (cause not found; threads.test.ts tests the threaded start on its own).
  return setUpWasmTraining({ threads: 1, ...options });
}

/**
 * The wasm backend with this package's kernels on XNNPACK (the native engine has its own tests),
 * on one thread: each kernel's test file is a process of its own, and worker threads (tested in
 * threads.test.ts) would only add 8 worker start-ups per file; the kernels compute the same.
 */
export async function useWasmKernels(): Promise<void> {
  await useBackend('wasm', { native: false, threads: 1 });
}
