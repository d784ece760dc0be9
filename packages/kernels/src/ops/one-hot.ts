import * as tf from '@tensorflow/tfjs-core';
import type { HeapBackend } from '../core/heap.js';
import type { Attrs, TensorInfo } from '../core/kernel-call.js';

// The stock wasm OneHot writes int32 values whatever dtype it is asked for: a float32 one-hot
// holds the int32 bit patterns (1 reads as 1.4e-45, −1e9 as −916.8). Here every dtype gets the
// values it asked for, on and off, written on the heap.

/** OneHot for float32 outputs; `null` leaves int32 (which the stock kernel gets right) to it. */
export function oneHotOnHeap(backend: HeapBackend, indices: TensorInfo, attrs: Attrs): TensorInfo | null {
  const { depth, onValue, offValue, dtype } = attrs as { depth: number; onValue: number; offValue: number; dtype: tf.DataType };
  if (dtype !== 'float32' || indices.dtype !== 'int32') return null;
  const out = backend.makeOutput([...indices.shape, depth], 'float32');
  const rows = tf.util.sizeFromShape(indices.shape);
  // Views taken after makeOutput: allocating may grow (and so replace) the heap buffer.
  const index = backend.typedArrayFromHeap(indices) as Int32Array;
  const values = backend.typedArrayFromHeap(out) as Float32Array;
  values.fill(offValue);
  for (let r = 0; r < rows; r++) {
    const k = index[r];
    if (k >= 0 && k < depth) values[r * depth + k] = onValue;
  }
  return out;
}
