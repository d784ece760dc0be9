import { patchCpuKernels } from './cpu/conv2d-filter.js';
import { registerLeanGradients } from './gradients/lean-gradients.js';
import { setUpNativeEngine } from './native/set-up.js';
import { setUpWasm } from './threads/set-up-wasm.js';

export interface WasmTrainingOptions {
  /** Threads to compute on: default all logical cores; 1 runs without worker threads. */
  threads?: number;
  /** Run large matmuls and convolutions on onnxruntime-node where it is installed (default true). */
  native?: boolean;
  /** With threads, this package's SIMD loops in two shares on a helper thread (default true). */
  simdHelper?: boolean;
}

export interface WasmTraining {
  /** Threads the backend computes on. */
  threads: number;
  /** The native engine in use (`onnxruntime-node 1.30.0`), or null: everything on XNNPACK. */
  native: string | null;
  /** What was set up and why (kernels, gradients, native engine, thread fallbacks). */
  notes: string[];
}

/**
 * Initialises tfjs's wasm backend for training: worker threads, the training kernels, the lean
 * gradients and the native engine, then makes it the active backend. Run once, before building
 * models (`@xclr/backend`'s useFastestBackend calls it when this package is installed).
 */
export async function setUpWasmTraining(options: WasmTrainingOptions = {}): Promise<WasmTraining> {
  const { threads, kernels, notes: wasmNotes } = await setUpWasm({ threads: options.threads, simdHelper: options.simdHelper });
  const notes: string[] = [];
  const changed = Object.keys(kernels);
  if (changed.length > 0) {
    notes.push(`wasm training kernels: ${changed.join(', ')}`);
    notes.push(`lean gradients: ${registerLeanGradients().join(', ')}`);
  }
  const native = changed.length > 0 ? setUpNativeEngine(options.native ?? true, threads) : null;
  if (native) notes.push(native.note);
  notes.push(...wasmNotes);
  return { threads, native: native?.engine ?? null, notes };
}

/**
 * Replaces the cpu backend's filter gradient with a faster one (call before training on `cpu`);
 * returns the kernels it replaced.
 */
export function setUpCpuTraining(): string[] {
  return patchCpuKernels();
}
