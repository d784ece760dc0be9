import * as tf from '@tensorflow/tfjs-core';
import type { HeapBackend } from './heap.js';
import { copyRun } from './heap-copy.js';
import type { Attrs, TensorInfo } from './kernel-call.js';

// The stock wasm Tile computes every output element's source index separately (about 60 ns per
// element). tfjs's batch-norm gradient tiles a [1, 1, 1, C] tensor to the activation's full
// [N, H, W, C] in every layer, so Tile was the largest kernel of a ResNet-18 training step
// (27 %). Each output row along the last axis is the matching input row repeated: copied as runs
// on the heap (heap-copy.ts).

/** Tile as heap copies, or `null` for strings and scalars (left to the stock kernel). */
export function tileOnHeap(backend: HeapBackend, x: TensorInfo, attrs: Attrs): TensorInfo | null {
  if (x.dtype === 'string' || x.shape.length === 0) return null;
  const reps = attrs.reps as number[];
  const rank = x.shape.length;
  const outShape = x.shape.map((s, i) => s * reps[i]);
  const out = backend.makeOutput(outShape, x.dtype);
  const total = tf.util.sizeFromShape(outShape);
  if (total === 0) return out;
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const inRow = x.shape[rank - 1];
  const outRow = outShape[rank - 1];
  const strides = tf.util.computeStrides(x.shape); // input strides of the outer axes
  const index = new Array<number>(rank - 1).fill(0); // odometer over the output's outer axes
  for (let o = 0; o < total; o += outRow) {
    let from = 0;
    for (let axis = 0; axis < rank - 1; axis++) from += (index[axis] % x.shape[axis]) * strides[axis];
    for (let at = o; at < o + outRow; at += inRow) copyRun(dst, at, src, from, inRow);
    for (let axis = rank - 2; axis >= 0; axis--) {
      if (++index[axis] < outShape[axis]) break;
      index[axis] = 0;
    }
  }
  return out;
}
