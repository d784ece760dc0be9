import * as tf from '@tensorflow/tfjs-core';
import { ScratchBuffers } from '../core/scratch.js';
import { inTwoShares } from '../simd/simd-helper.js';
import { heapSimdKernels } from '../simd/simd-kernels.js';
import type { HeapBackend } from '../core/heap.js';
import type { Attrs, TensorInfo } from '../core/kernel-call.js';

// The stock wasm MaxPoolGrad takes a large share of a small ConvNet's training step. The gradient
// is dY added at each window's argmax (the first maximum in row-major window order, as the cpu
// backend picks it). NHWC keeps channels contiguous, so the search runs over whole channel rows.
// Timings: packages/kernels/README.md, "What it changes on wasm" (npm run bench -w @xclr/kernels).

export function maxPoolGrad(
  backend: HeapBackend,
  dy: TensorInfo,
  input: TensorInfo,
  output: TensorInfo | undefined,
  attrs: Attrs,
): TensorInfo | null {
  const { filterSize, strides, pad, dimRoundingMode } = attrs as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: 'valid' | 'same' | number;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  if (input.dtype !== 'float32') return null;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels: ch, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;
  const { top, left } = info.padInfo;
  const tiles =
    strideHeight === fh &&
    strideWidth === fw &&
    top === 0 &&
    left === 0 &&
    outHeight * fh <= inHeight &&
    outWidth * fw <= inWidth;
  if (output && output.dtype === 'float32' && tiles) {
    return disjointWindows(backend, dy, input, output, info);
  }
  const out = backend.makeOutput(input.shape, 'float32');
  const x = backend.typedArrayFromHeap(input);
  const g = backend.typedArrayFromHeap(dy);
  const dx = backend.typedArrayFromHeap(out);
  dx.fill(0);
  const best = new Float32Array(ch);
  const where = new Int32Array(ch);
  for (let b = 0; b < batchSize; b++) {
    for (let yo = 0; yo < outHeight; yo++) {
      const y0 = yo * strideHeight - top;
      const yMin = Math.max(0, y0);
      const yMax = Math.min(inHeight, y0 + fh);
      for (let xo = 0; xo < outWidth; xo++) {
        const x0 = xo * strideWidth - left;
        const xMin = Math.max(0, x0);
        const xMax = Math.min(inWidth, x0 + fw);
        best.fill(Number.NEGATIVE_INFINITY);
        where.fill(-1);
        for (let yi = yMin; yi < yMax; yi++) {
          for (let xi = xMin; xi < xMax; xi++) {
            const base = ((b * inHeight + yi) * inWidth + xi) * ch;
            for (let c = 0; c < ch; c++) {
              const v = x[base + c];
              if (v > best[c]) {
                best[c] = v;
                where[c] = base + c;
              }
            }
          }
        }
        const gBase = ((b * outHeight + yo) * outWidth + xo) * ch;
        for (let c = 0; c < ch; c++) if (where[c] >= 0) dx[where[c]] += g[gBase + c];
      }
    }
  }
  return out;
}

/**
 * 1 where float bits `a` and `b` are equal numbers (the same bits, or −0 and +0), else 0; integer
 * arithmetic, no branch.
 */
function sameNumber(a: number, b: number): number {
  const d = a ^ b;
  const e = d ^ 0x80000000; // zero where only the sign differs
  const z = a << 1; // zero for ±0
  return (((d | -d) >>> 31) ^ 1) | ((((e | -e) >>> 31) ^ 1) & (((z | -z) >>> 31) ^ 1));
}

/**
 * Windows that tile the input (stride = window, no padding, inside the input: the usual 2 × 2
 * pool). Each window's maximum is known (the pool's output, bit for bit one of its inputs), so the
 * gradient goes to the first input equal to it, as on the cpu backend. The comparison is integer
 * arithmetic on the bits, not a branch: on random data the branchy search mispredicted and ran
 * slower. (One difference from the cpu backend: a non-finite dY also reaches the window's other
 * inputs, as NaN, because 0 · ∞ is NaN.)
 */
function disjointWindows(
  backend: HeapBackend,
  dy: TensorInfo,
  input: TensorInfo,
  output: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels: ch, outHeight, outWidth } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const out = backend.makeOutput(input.shape, 'float32');
  const simd = heapSimdKernels(backend);
  if (fh === 2 && fw === 2 && ch % 4 === 0 && simd != null) {
    windows2x2Simd(backend, dy, input, output, out, info);
    return out;
  }
  // Element access to the heap (a SharedArrayBuffer when threads are on) is slower than to an
  // ordinary buffer; bulk copies run at memory speed. So: copy in, compute, copy out.
  const x = offHeap('x', backend.typedArrayFromHeap(input) as Float32Array);
  const y = offHeap('y', backend.typedArrayFromHeap(output) as Float32Array);
  const g = offHeap('dy', backend.typedArrayFromHeap(dy) as Float32Array);
  const dx = scratch.view('dx', x.length);
  const xBits = new Int32Array(x.buffer, 0, x.length);
  const yBits = new Int32Array(y.buffer, 0, y.length);
  // Rows and columns past the last whole window get no gradient.
  if (outHeight * fh !== inHeight || outWidth * fw !== inWidth) dx.fill(0);
  const rowStride = inWidth * ch;
  let o = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let yo = 0; yo < outHeight; yo++) {
      for (let xo = 0; xo < outWidth; xo++, o += ch) {
        const corner = ((b * inHeight + yo * fh) * inWidth + xo * fw) * ch;
        if (fh === 2 && fw === 2) {
          pool2x2(xBits, yBits, g, dx, o, corner, ch, rowStride);
          continue;
        }
        for (let c = 0; c < ch; c++) {
          const max = yBits[o + c];
          let rest = g[o + c];
          for (let i = 0; i < fh; i++) {
            for (let j = 0; j < fw; j++) {
              const at = corner + i * rowStride + j * ch + c;
              const share = rest * sameNumber(xBits[at], max);
              dx[at] = share;
              rest -= share;
            }
          }
        }
      }
    }
  }
  (backend.typedArrayFromHeap(out) as Float32Array).set(dx);
  return out;
}

/**
 * 2 × 2 windows on the heap in place with WebAssembly SIMD (simd-kernels.ts), one row of windows
 * per call: several times faster than the JavaScript loop with its copies. Selects with bit
 * masks, so an infinite dY reaches only its window's first maximum, as on the cpu backend.
 */
function windows2x2Simd(
  backend: HeapBackend,
  dy: TensorInfo,
  input: TensorInfo,
  output: TensorInfo,
  out: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): void {
  const { batchSize, inHeight, inWidth, inChannels: ch, outHeight, outWidth } = info;
  const dxHeap = backend.typedArrayFromHeap(out) as Float32Array;
  // Rows and columns past the last whole window get no gradient.
  if (outHeight * 2 !== inHeight || outWidth * 2 !== inWidth) dxHeap.fill(0);
  const at = (t: TensorInfo) => backend.typedArrayFromHeap(t).byteOffset;
  const [x, y, g, dx] = [at(input), at(output), at(dy), dxHeap.byteOffset];
  const rowStride = inWidth * ch * 4;
  const outRow = outWidth * ch * 4;
  // images, then rows of windows: two input rows and one output row apart
  const rowStep = [2 * rowStride, outRow, outRow, 2 * rowStride, 0, 0, 0];
  const imageStep = [inHeight * rowStride, outHeight * outRow, outHeight * outRow, inHeight * rowStride, 0, 0, 0];
  inTwoShares(backend, batchSize, inHeight * rowStride * 3, (first, count) => ({
    name: 'maxPoolGrad2x2Row',
    args: [x, y, g, dx, outWidth, ch * 4, rowStride].map((a, k) => a + first * imageStep[k]),
    calls: outHeight,
    step: rowStep,
    outer: { calls: count, step: imageStep },
  }));
}

/** One output pixel's channels of a 2 × 2 window, unrolled (faster than the loops above in V8). */
function pool2x2(
  xBits: Int32Array,
  yBits: Int32Array,
  g: Float32Array,
  dx: Float32Array,
  o: number,
  p00: number,
  ch: number,
  rowStride: number,
): void {
  const p01 = p00 + ch;
  const p10 = p00 + rowStride;
  const p11 = p10 + ch;
  for (let c = 0; c < ch; c++) {
    const max = yBits[o + c];
    let rest = g[o + c];
    let share = rest * sameNumber(xBits[p00 + c], max);
    dx[p00 + c] = share;
    rest -= share;
    share = rest * sameNumber(xBits[p01 + c], max);
    dx[p01 + c] = share;
    rest -= share;
    share = rest * sameNumber(xBits[p10 + c], max);
    dx[p10 + c] = share;
    rest -= share;
    dx[p11 + c] = rest * sameNumber(xBits[p11 + c], max);
  }
}

const scratch = new ScratchBuffers();

function offHeap(name: string, heap: Float32Array): Float32Array {
  const view = scratch.view(name, heap.length);
  view.set(heap);
  return view;
}
