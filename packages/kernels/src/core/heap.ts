import type * as tf from '@tensorflow/tfjs-core';
import { type WasmMemory, wasmApi } from './webassembly.js';
import type { TensorInfo } from './kernel-call.js';

export type HeapArray = Float32Array | Int32Array | Uint8Array;

/**
 * The wasm backend surface that kernels written in JavaScript need (public methods of
 * BackendWasm): allocate an output, view a tensor's bytes on the wasm heap, free a scratch tensor.
 */
export interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): HeapArray;
  disposeData(dataId: object): boolean;
}

export function asHeapBackend(backend: unknown): HeapBackend {
  return backend as HeapBackend;
}

/**
 * The WebAssembly.Memory of the backend's heap, for modules that work on it in place: the
 * Emscripten module keeps it as `wasmMemory` in the threaded build and exports it as
 * `asm.memory` in the single-threaded one. Null if neither is there.
 */
export function heapMemory(backend: unknown): WasmMemory | null {
  const wasm = (backend as { wasm?: { wasmMemory?: unknown; asm?: { memory?: unknown } } }).wasm;
  const memory = wasm?.wasmMemory ?? wasm?.asm?.memory;
  return memory instanceof wasmApi.Memory ? memory : null;
}
