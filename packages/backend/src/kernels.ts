import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

type Kernels = typeof import('@xclr/kernels');

/**
 * @xclr/kernels (the wasm training kernels, threads and native engine) where it is installed, or
 * null. It is an optional peer: an application that trains installs it beside this package.
 */
export async function loadKernels(
  resolve: (id: string) => string = createRequire(import.meta.url).resolve,
): Promise<Kernels | null> {
  try {
    resolve('@xclr/kernels/package.json');
  } catch {
    return null;
  }
  return import('@xclr/kernels');
}

/** tfjs-backend-wasm as it ships (one thread, stock kernels), from its own binaries; returns its threads. */
export async function setUpStockWasm(): Promise<number> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const dir = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  wasm.setWasmPaths(`${dir}${path.sep}dist${path.sep}`);
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
  return wasm.getThreadsCount();
}
