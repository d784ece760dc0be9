import * as tf from '@tensorflow/tfjs-core';
import type { HeapBackend } from '../core/heap.js';
import { copyRun } from '../core/heap-copy.js';
import type { Attrs, TensorInfo } from '../core/kernel-call.js';

/**
 * Slice as contiguous runs copied on the heap (see heap-copy.ts): the innermost axes that the
 * slice takes whole merge into one run, so a row block of a matrix is a single memmove and a
 * column block one per row. `null` for strings and scalars (left to the stock kernel).
 */
export function sliceOnHeap(backend: HeapBackend, x: TensorInfo, attrs: Attrs): TensorInfo | null {
  if (x.dtype === 'string' || x.shape.length === 0) return null;
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin as number[], attrs.size as number[]);
  const out = backend.makeOutput(size, x.dtype);
  const total = tf.util.sizeFromShape(size);
  if (total === 0) return out;
  const rank = x.shape.length;
  // Axis `inner` and everything after it form one run: the axes after it are taken whole.
  let inner = rank - 1;
  while (inner > 0 && size[inner] === x.shape[inner]) inner--;
  const strides = tf.util.computeStrides(x.shape);
  const stride = (axis: number) => (axis === rank - 1 ? 1 : strides[axis]);
  const run = size[inner] * (inner === rank - 1 ? 1 : strides[inner]);
  // Views taken after makeOutput: allocating may grow (and so replace) the heap buffer.
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const index = new Array<number>(inner).fill(0); // odometer over the outer axes
  let base = 0;
  for (let axis = 0; axis < rank; axis++) base += begin[axis] * stride(axis);
  for (let written = 0; written < total; written += run) {
    let offset = base;
    for (let axis = 0; axis < inner; axis++) offset += index[axis] * stride(axis);
    copyRun(dst, written, src, offset, run);
    for (let axis = inner - 1; axis >= 0; axis--) {
      if (++index[axis] < size[axis]) break;
      index[axis] = 0;
    }
  }
  return out;
}

/** SplitV (tf.split, the gradient of concat) as heap slices; `null` where Slice would decline. */
export function splitOnHeap(backend: HeapBackend, x: TensorInfo, attrs: Attrs): TensorInfo[] | null {
  if (x.dtype === 'string' || x.shape.length === 0) return null;
  const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs.numOrSizeSplits as number[] | number, axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = [...x.shape];
    size[axis] = s;
    const part = sliceOnHeap(backend, x, { begin: [...begin], size }) as TensorInfo;
    begin[axis] += s;
    return part;
  });
}
