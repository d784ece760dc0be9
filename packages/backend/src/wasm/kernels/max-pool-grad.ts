import * as tf from '@tensorflow/tfjs-core';
import type { HeapBackend } from './heap.js';
import type { Attrs, TensorInfo } from './kernel-call.js';

// The stock wasm MaxPoolGrad takes about a third of a small ConvNet's training step. The gradient
// is dY added at each window's argmax (the first maximum in row-major window order, as the cpu
// backend picks it). NHWC keeps channels contiguous, so the search runs over whole channel rows.

export function maxPoolGrad(backend: HeapBackend, dy: TensorInfo, input: TensorInfo, attrs: Attrs): TensorInfo | null {
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
