import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

export interface WasmSetUp {
  threads: number;
  notes: string[];
}

/** Directory of the .wasm binaries shipped inside @tensorflow/tfjs-backend-wasm. */
export function wasmBinaryDir(): string {
  const require = createRequire(import.meta.url);
  return `${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'))}${path.sep}dist${path.sep}`;
}

/** Registers and initialises the wasm backend from the package's own binaries (no network). */
export async function setUpWasm(options: { threads?: number } = {}): Promise<WasmSetUp> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const notes: string[] = [];
  if (tf.findBackendFactory('wasm') == null) {
    throw new Error('the wasm backend did not register');
  }
  wasm.setWasmPaths(wasmBinaryDir());
  if (options.threads !== undefined && options.threads !== 1) {
    notes.push('wasm threads are not available under Node in this tfjs version; using 1 thread');
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
  return { threads: wasm.getThreadsCount(), notes };
}
