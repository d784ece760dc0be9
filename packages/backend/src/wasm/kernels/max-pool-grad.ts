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
  const x = backend.typedArrayFromHeap(input) as Float32Array;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  dx.fill(0);
  const geometry = { batchSize, inHeight, inWidth, ch, outHeight, outWidth, strideHeight, strideWidth, fh, fw, top, left };
  if (fh === strideHeight && fw === strideWidth && top === 0 && left === 0) disjointWindows(x, g, dx, geometry);
  else anyWindows(x, g, dx, geometry);
  return out;
}

interface PoolGeometry {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  ch: number;
  outHeight: number;
  outWidth: number;
  strideHeight: number;
  strideWidth: number;
  fh: number;
  fw: number;
  top: number;
  left: number;
}

/**
 * Windows that tile the input without overlap (2 × 2 stride 2, the usual case): each input
 * element has at most one window, so one pass per channel finds the argmax and stores dY there,
 * with no per-window scratch arrays (about 5× the general loop below).
 */
function disjointWindows(x: Float32Array, g: Float32Array, dx: Float32Array, p: PoolGeometry): void {
  const positions = new Int32Array(p.fh * p.fw);
  for (let b = 0; b < p.batchSize; b++) {
    for (let yo = 0; yo < p.outHeight; yo++) {
      for (let xo = 0; xo < p.outWidth; xo++) {
        let count = 0;
        for (let yi = yo * p.fh; yi < Math.min(p.inHeight, (yo + 1) * p.fh); yi++) {
          for (let xi = xo * p.fw; xi < Math.min(p.inWidth, (xo + 1) * p.fw); xi++) {
            positions[count++] = ((b * p.inHeight + yi) * p.inWidth + xi) * p.ch;
          }
        }
        const gBase = ((b * p.outHeight + yo) * p.outWidth + xo) * p.ch;
        for (let c = 0; c < p.ch; c++) {
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          for (let k = 0; k < count; k++) {
            const v = x[positions[k] + c];
            if (v > best) {
              best = v;
              at = positions[k] + c;
            }
          }
          if (at >= 0) dx[at] = g[gBase + c];
        }
      }
    }
  }
}

/** Any window geometry (overlapping, padded): per-channel running maxima over each window. */
function anyWindows(x: Float32Array, g: Float32Array, dx: Float32Array, p: PoolGeometry): void {
  const { batchSize, inHeight, inWidth, ch, outHeight, outWidth, strideHeight, strideWidth, fh, fw, top, left } = p;
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
}
