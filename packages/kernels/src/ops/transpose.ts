import * as tf from '@tensorflow/tfjs-core';
import type { HeapBackend } from '../core/heap.js';
import type { Attrs, TensorInfo } from '../core/kernel-call.js';

// The stock wasm Transpose walks the output element by element with a full index computation,
// on one thread: a large activation's transpose took longer than the convolutions around it.
// This one works on the wasm heap directly: it merges axes that move together, then copies tiles
// of the two axes that swap (the input's contiguous axis and the output's), so reads and writes
// both stay in cache. Timings: packages/kernels/README.md, "What it changes on wasm".

const TILE = 64;

/** Merges input axes that stay adjacent and in order in the output: fewer, longer loops. */
export function collapseAxes(shape: number[], perm: number[]): { shape: number[]; perm: number[] } {
  const kept = shape.map((_, d) => d).filter((d) => shape[d] !== 1);
  if (kept.length === 0) return { shape: [1], perm: [0] };
  // Drop size-1 axes, renumbering the rest.
  let s = kept.map((d) => shape[d]);
  let p = perm.filter((d) => shape[d] !== 1).map((d) => kept.indexOf(d));
  for (let merged = true; merged; ) {
    merged = false;
    for (let k = 0; k + 1 < p.length; k++) {
      if (p[k + 1] === p[k] + 1) {
        const d = p[k];
        s = [...s.slice(0, d), s[d] * s[d + 1], ...s.slice(d + 2)];
        p = p.filter((_, i) => i !== k + 1).map((a) => (a > d ? a - 1 : a));
        merged = true;
        break;
      }
    }
  }
  return { shape: s, perm: p };
}

/** out = transpose(input, perm) for row-major arrays of the given input shape. */
export function transposeInto(input: Int32Array, output: Int32Array, shape0: number[], perm0: number[]): void {
  let { shape, perm } = collapseAxes(shape0, perm0);
  // An innermost axis that stays innermost moves as a block of `blk` contiguous elements.
  let blk = 1;
  if (perm[perm.length - 1] === shape.length - 1) {
    blk = shape[shape.length - 1];
    shape = shape.slice(0, -1);
    perm = perm.slice(0, -1);
    if (shape.length === 0) {
      output.set(input.subarray(0, blk));
      return;
    }
  }
  const r = shape.length;
  const inStride = new Array<number>(r);
  for (let d = r - 1, acc = blk; d >= 0; d--) {
    inStride[d] = acc;
    acc *= shape[d];
  }
  const outStrideOfInput = new Array<number>(r); // where input axis d moves in the output
  for (let k = r - 1, acc = blk; k >= 0; k--) {
    outStrideOfInput[perm[k]] = acc;
    acc *= shape[perm[k]];
  }
  const a = r - 1; // innermost in the input
  const b = perm[r - 1]; // innermost in the output (≠ a after collapsing)
  const outer = shape.map((_, d) => d).filter((d) => d !== a && d !== b);
  const index = new Array<number>(outer.length).fill(0);
  const na = shape[a];
  const nb = r === 1 ? 1 : shape[b];
  const osa = outStrideOfInput[a];
  const isb = r === 1 ? 0 : inStride[b];
  for (;;) {
    let inBase = 0;
    let outBase = 0;
    for (let k = 0; k < outer.length; k++) {
      inBase += index[k] * inStride[outer[k]];
      outBase += index[k] * outStrideOfInput[outer[k]];
    }
    if (blk === 1) tile2d(input, output, inBase, outBase, na, nb, osa, isb);
    else tile2dBlocks(input, output, inBase, outBase, na, nb, osa, isb, blk);
    // Odometer over the outer axes.
    let k = outer.length - 1;
    while (k >= 0 && ++index[k] === shape[outer[k]]) index[k--] = 0;
    if (k < 0) break;
  }
}

/** out[j·osa + i] = in[i·isb + j] for i < nb, j < na, in tiles; writes run along i. */
function tile2d(
  input: Int32Array,
  output: Int32Array,
  inBase: number,
  outBase: number,
  na: number,
  nb: number,
  osa: number,
  isb: number,
): void {
  for (let i0 = 0; i0 < nb; i0 += TILE) {
    const i1 = Math.min(i0 + TILE, nb);
    for (let j0 = 0; j0 < na; j0 += TILE) {
      const j1 = Math.min(j0 + TILE, na);
      for (let j = j0; j < j1; j++) {
        const dst = outBase + j * osa;
        const src = inBase + j;
        for (let i = i0; i < i1; i++) output[dst + i] = input[src + i * isb];
      }
    }
  }
}

/** As tile2d, for elements that are blocks of `blk` contiguous values. */
function tile2dBlocks(
  input: Int32Array,
  output: Int32Array,
  inBase: number,
  outBase: number,
  na: number,
  nb: number,
  osa: number,
  isb: number,
  blk: number,
): void {
  for (let j = 0; j < na; j++) {
    let dst = outBase + j * osa;
    let src = inBase + j * blk;
    for (let i = 0; i < nb; i++, dst += blk, src += isb) {
      for (let t = 0; t < blk; t++) output[dst + t] = input[src + t];
    }
  }
}

/** Transpose of 4-byte tensors (float32, int32) on the heap; `null` leaves bool to the stock kernel. */
export function transposeKernel(backend: HeapBackend, x: TensorInfo, attrs: Attrs): TensorInfo | null {
  if (x.dtype !== 'float32' && x.dtype !== 'int32') return null;
  const { perm } = attrs as { perm: number[] };
  const outShape = perm.map((d) => x.shape[d]);
  const out = backend.makeOutput(outShape, x.dtype);
  if (tf.util.sizeFromShape(x.shape) === 0) return out;
  // Views only after makeOutput: allocating may grow (and so replace) the wasm memory buffer.
  // Both dtypes move as Int32Array bit patterns: exact, and one element type keeps the copy
  // loops monomorphic (mixing array types made them several times slower).
  const input = backend.typedArrayFromHeap(x);
  const output = backend.typedArrayFromHeap(out);
  transposeInto(
    new Int32Array(input.buffer, input.byteOffset, input.length),
    new Int32Array(output.buffer, output.byteOffset, output.length),
    x.shape,
    perm,
  );
  return out;
}
