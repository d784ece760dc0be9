import * as tf from '@tensorflow/tfjs-core';
import type { HeapArray, HeapBackend } from '../core/heap.js';
import { copyRun } from '../core/heap-copy.js';
import type { Attrs, TensorInfo } from '../core/kernel-call.js';

// The stock wasm Tile computes every output element's source index separately; batch-norm
// gradients broadcast per-channel values to the activation's full [N, H, W, C] in every layer.
// Here the output is built axis by axis: the input's own extent along an axis is filled first
// (recursively), then that block is repeated by doubling copies on the heap (heap-copy.ts), so
// [1, 1, 1, C] → [N, H, W, C] is ~16 memmoves, not N·H·W small copies.
// Timings: packages/kernels/README.md, "What it changes on wasm".

/** Repeats dst[start, start + block) until it fills `times` blocks, doubling the copied length. */
function repeatBlock(dst: HeapArray, start: number, block: number, times: number): void {
  const total = block * times;
  for (let filled = block; filled < total; ) {
    const n = Math.min(filled, total - filled);
    copyRun(dst, start + filled, dst, start, n);
    filled += n;
  }
}

/** Tile as heap copies, or `null` for strings and scalars (left to the stock kernel). */
export function tileOnHeap(backend: HeapBackend, x: TensorInfo, attrs: Attrs): TensorInfo | null {
  if (x.dtype === 'string' || x.shape.length === 0) return null;
  const reps = attrs.reps as number[];
  const rank = x.shape.length;
  const outShape = x.shape.map((s, i) => s * reps[i]);
  const out = backend.makeOutput(outShape, x.dtype);
  if (tf.util.sizeFromShape(outShape) === 0) return out;
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const inStride = tf.util.computeStrides(x.shape).concat(1);
  const outStride = tf.util.computeStrides(outShape).concat(1);
  const fill = (axis: number, to: number, from: number): void => {
    if (axis === rank - 1) copyRun(dst, to, src, from, x.shape[axis]);
    else for (let i = 0; i < x.shape[axis]; i++) fill(axis + 1, to + i * outStride[axis], from + i * inStride[axis]);
    repeatBlock(dst, to, x.shape[axis] * outStride[axis], reps[axis]);
  };
  fill(0, 0, 0);
  return out;
}
