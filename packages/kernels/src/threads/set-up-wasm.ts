import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { guardHeapAllocator, type WasmAllocator } from '../core/heap-guard.js';
import { type KernelPatches, registerWasmKernels } from '../register-wasm.js';
import { WasmThreadsTimeout, withNodeThreads } from './node-threads.js';
import { startSimdHelper } from './simd-helper-thread.js';

export interface WasmSetUp {
  threads: number;
  kernels: KernelPatches;
  notes: string[];
}

export interface WasmOptions {
  /** Threads to compute on: default all logical cores; 1 runs without worker threads. */
  threads?: number;
  /** Keep tfjs-backend-wasm's stock kernels (for comparisons): default false. */
  stockKernels?: boolean;
  /**
   * With threads, run this package's SIMD loops (ReLU and max-pool gradients, batch norm's input
   * gradient, Adam) in two shares, the second on a helper thread on the shared heap: default true.
   */
  simdHelper?: boolean;
}

/** Directory of the .wasm binaries shipped inside @tensorflow/tfjs-backend-wasm. */
export function wasmBinaryDir(): string {
  const require = createRequire(import.meta.url);
  return `${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'))}${path.sep}dist${path.sep}`;
}

/**
 * Registers and initialises the wasm backend from the package's own binaries (no network), with
 * the training kernels of ./kernels and, when more than one thread is asked for, worker threads.
 * If the threaded binary cannot start, it falls back to one thread and says so in `notes`.
 */
export async function setUpWasm(options: WasmOptions = {}): Promise<WasmSetUp> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (tf.findBackendFactory('wasm') == null) throw new Error('the wasm backend did not register');
  const notes: string[] = [];
  const kernels = options.stockKernels ? {} : registerWasmKernels();
  // Not tf.findBackend('wasm'): for a registered but uninitialised backend it starts an
  // initialisation with the settings of the moment, a second one beside the configured start
  // below; two threaded start-ups at once hung now and then under load.
  if (tf.engine().registry.wasm != null) {
    // Initialised earlier in this process (another backend may be active now): its paths and
    // threads are fixed, so it is only made active again.
    if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
    guardHeap();
    return { threads: wasm.getThreadsCount(), kernels, notes: ['wasm was already initialised'] };
  }
  wasm.setWasmPaths(wasmBinaryDir());
  const threads = options.threads ?? os.availableParallelism();
  if (threads > 1) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    wasm.setThreadsCount(threads);
    try {
      const { result: ok } = await withNodeThreads(threads, () => tf.setBackend('wasm'));
      if (ok) {
        guardHeap();
        if (!options.stockKernels && options.simdHelper !== false) notes.push((await startSimdHelper(tf.backend())).note);
        return { threads: wasm.getThreadsCount(), kernels, notes };
      }
      notes.push('wasm worker threads did not start; using 1 thread');
    } catch (err) {
      if (err instanceof WasmThreadsTimeout) throw err; // the backend's start-up is still pending: no second try here
      notes.push(`wasm worker threads did not start (${(err as Error).message}); using 1 thread`);
    }
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  wasm.setThreadsCount(1);
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
  guardHeap();
  return { threads: wasm.getThreadsCount(), kernels, notes };
}

/** The active (wasm) backend's allocator, guarded (see guardHeapAllocator). */
function guardHeap(): void {
  guardHeapAllocator((tf.backend() as unknown as { wasm: WasmAllocator }).wasm);
}
