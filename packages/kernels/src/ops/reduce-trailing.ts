import * as tf from '@tensorflow/tfjs-core';
import type { HeapBackend } from '../core/heap.js';
import type { Attrs, TensorInfo } from '../core/kernel-call.js';
import { heapSimdKernels } from '../simd/simd-kernels.js';

/**
 * Sum, Mean or Max over trailing axes of a float32 tensor (each output is one contiguous row),
 * with WebAssembly SIMD on the heap: the stock kernels read a row one float at a time on one
 * thread (timings: packages/kernels/README.md, "What it changes on wasm"). Null where it does not
 * apply.
 */
export function reduceTrailingAxes(
  backend: HeapBackend,
  x: TensorInfo,
  attrs: Attrs,
  kind: 'sum' | 'mean' | 'max',
): TensorInfo | null {
  // Sum and Mean name their axes `axis`, Max `reductionIndices`; null means every axis.
  const axis = (kind === 'max' ? attrs.reductionIndices : attrs.axis) as number | number[];
  const keepDims = attrs.keepDims as boolean;
  const simd = heapSimdKernels(backend);
  if (simd == null || x.dtype !== 'float32' || x.shape.length === 0) return null;
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
  if (axes.length === 0 || !axes.every((a, i) => a === rank - axes.length + i)) return null;
  const kept = x.shape.slice(0, rank - axes.length);
  const rows = tf.util.sizeFromShape(kept);
  const cols = tf.util.sizeFromShape(x.shape.slice(rank - axes.length));
  if (rows === 0 || cols === 0) return null;
  const out = backend.makeOutput(keepDims ? [...kept, ...axes.map(() => 1)] : kept, 'float32');
  const to = backend.typedArrayFromHeap(out) as Float32Array;
  const reduce = kind === 'max' ? simd.rowMaxes : simd.rowSums;
  reduce(backend.typedArrayFromHeap(x).byteOffset, to.byteOffset, rows, cols);
  if (kind === 'mean') for (let r = 0; r < rows; r++) to[r] /= cols;
  return out;
}
