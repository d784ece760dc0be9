import * as tf from '@tensorflow/tfjs-core';
import { asHeapBackend } from '../core/heap.js';
import type { Attrs, KernelCall, TensorInfo } from '../core/kernel-call.js';
import { heapSimdKernels } from '../simd/simd-kernels.js';
import { BLOCK_ROWS, blocksOf, simdBlockSums } from './block-sums.js';

// Sum and Mean over leading axes ([N, H, W, C] → [C]: every bias gradient, every batch-norm
// statistic and its gradient). The stock wasm kernels reduce innermost axes only and transpose
// the whole tensor first; a JavaScript loop over the heap was faster but still slow. Where C is a
// multiple of 4, SIMD column sums over blocks of rows (float32 within a block, the blocks' sums
// added in float64), blocks in two shares where the SIMD helper runs: one pass. Otherwise
// XNNPACK's average pooling reduces the same tensor viewed as an image [1, parts, rows / parts, C]
// with a window of a whole row, each part on its own thread, accumulating in float32.
// Timings: packages/kernels/README.md, "What it changes on wasm".

/** Reduces over leading axes (SIMD column sums, or XNNPACK average pooling); `null` leaves other reductions to the stock kernel. */
export function reduceLeadingAxes(call: KernelCall, x: TensorInfo, attrs: Attrs, kind: 'sum' | 'mean'): TensorInfo | null {
  const { axis, keepDims } = attrs as { axis: number | number[]; keepDims: boolean };
  if (x.dtype !== 'float32' || x.shape.length < 2) return null;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
  if (axes.length === 0 || !axes.every((a, i) => a === i) || axes.length === x.shape.length) return null;
  const rows = tf.util.sizeFromShape(x.shape.slice(0, axes.length));
  const kept = x.shape.slice(axes.length);
  const cols = tf.util.sizeFromShape(kept);
  const outShape = keepDims ? [...axes.map(() => 1), ...kept] : kept;
  if (rows === 0 || cols === 0) return null;
  const heap = asHeapBackend(call.backend);
  if (cols % 4 === 0 && heapSimdKernels(heap) != null) {
    const sums = columnSums(call, x, rows, cols);
    const out = heap.makeOutput(outShape, 'float32');
    const to = heap.typedArrayFromHeap(out);
    for (let c = 0; c < cols; c++) to[c] = kind === 'mean' ? sums[c] / rows : sums[c];
    return out;
  }
  // Two halves reduce on two threads; their means are then averaged (a 2-row window).
  const parts = rows % 2 === 0 && rows >= 64 ? 2 : 1;
  const pool = (input: TensorInfo, height: number, width: number, window: [number, number]) =>
    call.run(
      'AvgPool',
      { x: call.reshape(input, [1, height, width, cols]) },
      { filterSize: window, strides: window, pad: 'valid', dimRoundingMode: undefined as never },
    );
  let mean = pool(x, parts, rows / parts, [1, rows / parts]);
  if (parts > 1) mean = pool(mean, parts, 1, [parts, 1]);
  if (kind === 'mean') return call.final('Reshape', { x: mean }, { shape: outShape });
  const out = heap.makeOutput(outShape, 'float32');
  const from = heap.typedArrayFromHeap(mean);
  const to = heap.typedArrayFromHeap(out);
  for (let c = 0; c < cols; c++) to[c] = from[c] * rows;
  return out;
}

/** Each column's sum of the [rows, cols] matrix `x` (cols a multiple of 4), in float64. */
function columnSums(call: KernelCall, x: TensorInfo, rows: number, cols: number): Float64Array {
  const heap = asHeapBackend(call.backend);
  const partials = call.track(heap.makeOutput([blocksOf(rows), cols], 'float32'));
  const src = heap.typedArrayFromHeap(x).byteOffset;
  const rowBytes = cols * 4;
  const [sums] = simdBlockSums(heap, rows, cols, [partials], 'channelSums', (block, [out], n) => [
    src + block * BLOCK_ROWS * rowBytes,
    out,
    n,
    rowBytes,
  ]);
  return sums;
}
