import * as tf from '@tensorflow/tfjs-core';
import type { HeapBackend } from '../core/heap.js';
import { copyRun } from '../core/heap-copy.js';
import type { Attrs, TensorInfo } from '../core/kernel-call.js';

// The stock wasm Reverse computes every element's source index separately, and
// Conv2DBackpropInput flips its filter in space on every call: on ResNet-18's large filters that
// took longer than the convolution itself. Reversing leading axes moves whole blocks of the
// trailing axes: copied as runs on the heap (heap-copy.ts).
// Timings: packages/kernels/README.md, "What it changes on wasm".

/** Reverse as heap copies, or `null` for strings and scalars (left to the stock kernel). */
export function reverseOnHeap(backend: HeapBackend, x: TensorInfo, attrs: Attrs): TensorInfo | null {
  if (x.dtype === 'string' || x.shape.length === 0) return null;
  const rank = x.shape.length;
  const dims = tf.util.parseAxisParam(attrs.dims as number | number[], x.shape);
  const out = backend.makeOutput(x.shape, x.dtype);
  const total = tf.util.sizeFromShape(x.shape);
  if (total === 0) return out;
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  if (dims.length === 0) {
    copyRun(dst, 0, src, 0, total);
    return out;
  }
  const reversed = x.shape.map((_, axis) => dims.includes(axis));
  const lastReversed = reversed[rank - 1];
  // Blocks: the axes after the last reversed one are copied whole; a reversed last axis is
  // copied element by element, backwards, one row at a time.
  const outerAxes = lastReversed ? rank - 1 : Math.max(...dims) + 1;
  const block = tf.util.sizeFromShape(x.shape.slice(outerAxes));
  const strides = [...tf.util.computeStrides(x.shape), 1];
  const index = new Array<number>(outerAxes).fill(0);
  for (let at = 0; at < total; at += block) {
    let from = 0;
    for (let axis = 0; axis < outerAxes; axis++) {
      const i = reversed[axis] ? x.shape[axis] - 1 - index[axis] : index[axis];
      from += i * strides[axis];
    }
    if (lastReversed) {
      for (let k = 0; k < block; k++) dst[at + k] = src[from + block - 1 - k];
    } else {
      copyRun(dst, at, src, from, block);
    }
    for (let axis = outerAxes - 1; axis >= 0; axis--) {
      if (++index[axis] < x.shape[axis]) break;
      index[axis] = 0;
    }
  }
  return out;
}
