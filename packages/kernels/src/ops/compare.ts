import * as tf from '@tensorflow/tfjs-core';
import { ScratchBuffers } from '../core/scratch.js';
import type { HeapBackend } from '../core/heap.js';
import type { TensorInfo } from '../core/kernel-call.js';

// The stock wasm comparisons are fast on equal shapes but go through a generic per-element
// broadcasting loop otherwise, so `equal(labels[:, None], labels[None])` (every same-label
// mask) was slow at the losses' batch sizes. This loops over the output with each input's
// broadcast strides (0 along a broadcast axis) instead, far faster.
// Timings: packages/kernels/README.md, "What it changes on wasm".

export const COMPARISONS = {
  Equal: (x: number, y: number) => x === y,
  NotEqual: (x: number, y: number) => x !== y,
  Greater: (x: number, y: number) => x > y,
  GreaterEqual: (x: number, y: number) => x >= y,
  Less: (x: number, y: number) => x < y,
  LessEqual: (x: number, y: number) => x <= y,
} as const;

export type ComparisonName = keyof typeof COMPARISONS;

/** Strides of `shape` right-aligned to `outShape`, 0 along axes where `shape` broadcasts. */
function broadcastStrides(shape: number[], outShape: number[]): number[] {
  const strides = new Array<number>(outShape.length).fill(0);
  let stride = 1;
  for (let i = shape.length - 1, o = outShape.length - 1; i >= 0; i--, o--) {
    strides[o] = shape[i] === 1 ? 0 : stride;
    stride *= shape[i];
  }
  return strides;
}

/**
 * out[j] = a[pa + j·ia] ⋄ b[pb + j·ib] for j < count. One loop per comparison, so that V8 inlines
 * the operator (a shared loop calling it through a variable was several times slower).
 */
function compareRun(
  name: ComparisonName,
  out: Uint8Array,
  o: number,
  a: ArrayLike<number>,
  pa: number,
  ia: number,
  b: ArrayLike<number>,
  pb: number,
  ib: number,
  count: number,
): void {
  switch (name) {
    case 'Equal':
      if (ia === 0 && ib === 1) {
        // A row against a vector (the same-label masks): one value against a contiguous run.
        const x = a[pa];
        for (let j = 0; j < count; j++) out[o + j] = b[pb + j] === x ? 1 : 0;
        return;
      }
      for (let j = 0; j < count; j++, pa += ia, pb += ib) out[o + j] = a[pa] === b[pb] ? 1 : 0;
      return;
    case 'NotEqual':
      for (let j = 0; j < count; j++, pa += ia, pb += ib) out[o + j] = a[pa] !== b[pb] ? 1 : 0;
      return;
    case 'Greater':
      for (let j = 0; j < count; j++, pa += ia, pb += ib) out[o + j] = a[pa] > b[pb] ? 1 : 0;
      return;
    case 'GreaterEqual':
      for (let j = 0; j < count; j++, pa += ia, pb += ib) out[o + j] = a[pa] >= b[pb] ? 1 : 0;
      return;
    case 'Less':
      for (let j = 0; j < count; j++, pa += ia, pb += ib) out[o + j] = a[pa] < b[pb] ? 1 : 0;
      return;
    case 'LessEqual':
      for (let j = 0; j < count; j++, pa += ia, pb += ib) out[o + j] = a[pa] <= b[pb] ? 1 : 0;
      return;
  }
}

const scratch = new ScratchBuffers();

/** A broadcasting comparison into a bool tensor, or `null` for equal shapes and strings (stock kernel). */
export function compareBroadcast(backend: HeapBackend, name: ComparisonName, a: TensorInfo, b: TensorInfo): TensorInfo | null {
  if (a.dtype === 'string' || tf.util.arraysEqual(a.shape, b.shape)) return null;
  const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const out = backend.makeOutput(outShape, 'bool');
  const total = tf.util.sizeFromShape(outShape);
  if (total === 0) return out;
  const rank = outShape.length;
  const sa = broadcastStrides(a.shape, outShape);
  const sb = broadcastStrides(b.shape, outShape);
  // Element access to the heap (a SharedArrayBuffer when threaded) is slow in V8: the operands
  // are copied off it (they are the small side of a broadcast) and the result written to an
  // ordinary buffer, then copied onto the heap in one move.
  const av = offHeap('a', backend.typedArrayFromHeap(a));
  const bv = offHeap('b', backend.typedArrayFromHeap(b));
  const ov = scratch.bytes('out', total);
  const inner = outShape[rank - 1];
  const ia = sa[rank - 1];
  const ib = sb[rank - 1];
  const index = new Array<number>(rank - 1).fill(0); // odometer over the outer axes
  for (let o = 0; o < total; o += inner) {
    let pa = 0;
    let pb = 0;
    for (let axis = 0; axis < rank - 1; axis++) {
      pa += index[axis] * sa[axis];
      pb += index[axis] * sb[axis];
    }
    compareRun(name, ov, o, av, pa, ia, bv, pb, ib, inner);
    for (let axis = rank - 2; axis >= 0; axis--) {
      if (++index[axis] < outShape[axis]) break;
      index[axis] = 0;
    }
  }
  (backend.typedArrayFromHeap(out) as Uint8Array).set(ov);
  return out;
}

function offHeap(name: string, heap: ArrayLike<number> & { length: number }): Float64Array {
  const view = scratch.doubles(name, heap.length);
  view.set(heap);
  return view;
}
