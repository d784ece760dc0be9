import * as tf from '@tensorflow/tfjs-core';
import type { HeapBackend } from './heap.js';
import type { Attrs, TensorInfo } from './kernel-call.js';

// The stock wasm Sum reduces innermost axes only, so a sum over the leading axes (every bias
// gradient: [N, H, W, C] → [C]) first transposes the whole tensor at ~20 ns per element. Column
// sums of the tensor viewed as [R, C] are one sequential pass on the heap instead (a ones-vector
// matmul is no better: XNNPACK repacks the big operand on every call).

/** Sums over leading axes, or `null` to leave the reduction to the stock kernel. */
export function sumLeadingAxes(backend: HeapBackend, x: TensorInfo, attrs: Attrs): TensorInfo | null {
  const { axis, keepDims } = attrs as { axis: number | number[]; keepDims: boolean };
  if (x.dtype !== 'float32' || x.shape.length < 2) return null;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
  if (!axes.every((a, i) => a === i) || axes.length === x.shape.length) return null;
  const rows = tf.util.sizeFromShape(x.shape.slice(0, axes.length));
  const cols = tf.util.sizeFromShape(x.shape.slice(axes.length));
  const kept = x.shape.slice(axes.length);
  const out = backend.makeOutput(keepDims ? [...axes.map(() => 1), ...kept] : kept, 'float32');
  const input = backend.typedArrayFromHeap(x);
  // Accumulate in float64, as the cpu backend does (JavaScript numbers).
  const acc = new Float64Array(cols);
  for (let r = 0, base = 0; r < rows; r++, base += cols) {
    for (let c = 0; c < cols; c++) acc[c] += input[base + c];
  }
  backend.typedArrayFromHeap(out).set(acc);
  return out;
}
