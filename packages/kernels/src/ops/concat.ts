import * as tf from '@tensorflow/tfjs-core';
import type { HeapBackend } from '../core/heap.js';
import { copyRun } from '../core/heap-copy.js';
import type { Attrs, TensorInfo } from '../core/kernel-call.js';

/**
 * Concat as runs copied on the heap (see heap-copy.ts): viewed as [outer, inner_i], each input
 * contributes one run per outer index. `null` for strings or a single non-empty input (left to
 * the stock kernel, which shares the buffer then).
 */
export function concatOnHeap(backend: HeapBackend, inputs: TensorInfo[], attrs: Attrs): TensorInfo | null {
  if (inputs.length === 0 || inputs[0].dtype === 'string') return null;
  const axis = tf.util.parseAxisParam(attrs.axis as number, inputs[0].shape)[0];
  tf.backend_util.assertParamsConsistent(
    inputs.map((t) => t.shape),
    axis,
  );
  const parts = inputs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
  if (parts.length < 2) return null;
  const out = backend.makeOutput(
    tf.backend_util.computeOutShape(
      inputs.map((t) => t.shape),
      axis,
    ),
    inputs[0].dtype,
  );
  const outer = tf.util.sizeFromShape(parts[0].shape.slice(0, axis));
  const widths = parts.map((t) => tf.util.sizeFromShape(t.shape.slice(axis)));
  const rowWidth = widths.reduce((a, b) => a + b, 0);
  const dst = backend.typedArrayFromHeap(out);
  const srcs = parts.map((t) => backend.typedArrayFromHeap(t));
  for (let row = 0; row < outer; row++) {
    let at = row * rowWidth;
    for (let i = 0; i < parts.length; i++) {
      copyRun(dst, at, srcs[i], row * widths[i], widths[i]);
      at += widths[i];
    }
  }
  return out;
}
