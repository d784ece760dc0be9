import type { HeapBackend } from './heap.js';
import { copyRun } from './heap-copy.js';
import type { TensorInfo } from './kernel-call.js';

export interface PatchGeometry {
  fh: number;
  fw: number;
  sh: number;
  sw: number;
  top: number;
  left: number;
  ho: number;
  wo: number;
}

/**
 * The patches of an NHWC input as rows: `[N · Ho · Wo, fh · fw · C]`, row (n, y, x) holding the
 * fh × fw × C window the convolution reads for output (y, x), zeros where it falls in the padding.
 * Each window row is C contiguous floats of the input, copied as one run.
 */
export function im2col(backend: HeapBackend, x: TensorInfo, g: PatchGeometry): TensorInfo {
  const [n, h, w, c] = x.shape;
  const rowWidth = g.fh * g.fw * c;
  const out = backend.makeOutput([n * g.ho * g.wo, rowWidth], 'float32');
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  let at = 0;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < g.ho; y++) {
      for (let xo = 0; xo < g.wo; xo++) {
        for (let i = 0; i < g.fh; i++) {
          const yi = y * g.sh + i - g.top;
          for (let j = 0; j < g.fw; j++, at += c) {
            const xi = xo * g.sw + j - g.left;
            if (yi < 0 || yi >= h || xi < 0 || xi >= w) dst.fill(0, at, at + c);
            else copyRun(dst, at, src, ((b * h + yi) * w + xi) * c, c);
          }
        }
      }
    }
  }
  return out;
}
