import type * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from './kernel-call.js';

export type HeapArray = Float32Array | Int32Array | Uint8Array;

/**
 * The wasm backend surface that kernels written in JavaScript need (public methods of
 * BackendWasm): allocate an output, and view a tensor's bytes on the wasm heap.
 */
export interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): HeapArray;
}

export function asHeapBackend(backend: unknown): HeapBackend {
  return backend as HeapBackend;
}
