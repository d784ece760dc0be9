import type { HeapArray } from './heap.js';

// The wasm heap is a SharedArrayBuffer when threads are on. V8 copies a typed array into the same
// buffer (`view.set(heap.subarray(…))`, `heap.slice(…)`) through a slow path, far slower than
// `copyWithin`, which is a memmove. The stock Slice and Concat kernels copy with `set`, and Slice
// first copies its *whole* input out of the heap with `readSync`, so even a small slice of a large
// matrix costs the whole matrix, and every batched matmul that slices its operands paid that once
// per batch entry.
// Timings: packages/kernels/README.md, "What it changes on wasm".

/** Runs shorter than this many elements are copied with a loop (cheaper than a call). */
const SHORT_RUN = 16;

/**
 * Copies `length` elements from `src[srcStart…]` to `dst[dstStart…]`; both views lie on the same
 * heap buffer and have the same element size.
 */
export function copyRun(dst: HeapArray, dstStart: number, src: HeapArray, srcStart: number, length: number): void {
  if (length < SHORT_RUN) {
    for (let i = 0; i < length; i++) dst[dstStart + i] = src[srcStart + i];
    return;
  }
  const bytes = dst.BYTES_PER_ELEMENT;
  const heap = new Uint8Array(dst.buffer);
  const from = src.byteOffset + srcStart * bytes;
  heap.copyWithin(dst.byteOffset + dstStart * bytes, from, from + length * bytes);
}

/**
 * Copies `length` elements from `src[srcStart…]` to `dst[dstStart…]`, which may lie on another
 * buffer (off the heap): there `set` is a plain copy, and `copyRun`'s memmove within one buffer
 * does not apply.
 */
export function copyAcross(dst: HeapArray, dstStart: number, src: HeapArray, srcStart: number, length: number): void {
  if (dst.buffer === src.buffer) copyRun(dst, dstStart, src, srcStart, length);
  else if (length < SHORT_RUN) for (let i = 0; i < length; i++) dst[dstStart + i] = src[srcStart + i];
  else dst.set(src.subarray(srcStart, srcStart + length), dstStart);
}
