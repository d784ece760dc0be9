import type { HeapBackend } from './heap.js';
import { copyAcross } from './heap-copy.js';
import type { TensorInfo } from './kernel-call.js';
import type { ConvGeometry } from './phase-grid.js';

/**
 * Patch rows of at most this many floats take the im2col path. With few input channels (a first
 * layer on grey or RGB images) the Conv2D composition of conv2d-backprop.ts has only C · fh · fw
 * output rows to spread over threads (9 for a 3 × 3 filter on one channel) and ran slowly; the
 * patch matrix is then small, and dWᵀ = dYᵀ · patches is one plain matmul.
 * Timings: packages/kernels/README.md, "What it changes on wasm".
 */
export const IM2COL_MAX_PATCH = 32;

/**
 * The patches of an NHWC input as rows: `[N · Ho · Wo, fh · fw · C]`, row (n, y, x) holding the
 * fh × fw × C window the convolution reads for output (y, x), zeros where it falls in the padding.
 * Each filter row inside the input is fw · C contiguous floats, copied at once.
 */
export function im2col(backend: HeapBackend, x: TensorInfo, g: ConvGeometry): TensorInfo {
  const [n, , , c] = x.shape;
  const out = backend.makeOutput([n * g.ho * g.wo, g.fh * g.fw * c], 'float32');
  im2colInto(backend.typedArrayFromHeap(x) as Float32Array, x.shape, g, backend.typedArrayFromHeap(out) as Float32Array);
  return out;
}

/** The same patch rows from `src` (NHWC of `shape`) into `dst`, which may be off the heap. */
export function im2colInto(src: Float32Array, shape: number[], g: ConvGeometry, dst: Float32Array): void {
  const [n, h, w, c] = shape;
  // A filter row inside the input is fw · C contiguous floats: on grey or RGB images (the layers
  // this path serves) 3–9 of them, copied inline; a call per run cost more than the copy.
  const run = g.fw * c;
  let at = 0;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < g.ho; y++) {
      for (let xo = 0; xo < g.wo; xo++) {
        const x0 = xo * g.sw - g.left;
        const inside = x0 >= 0 && x0 + g.fw <= w;
        for (let i = 0; i < g.fh; i++, at += run) {
          const yi = y * g.sh + i - g.top;
          if (yi < 0 || yi >= h) {
            dst.fill(0, at, at + run);
          } else if (inside) {
            const from = ((b * h + yi) * w + x0) * c;
            if (run < 64) for (let k = 0; k < run; k++) dst[at + k] = src[from + k];
            else copyAcross(dst, at, src, from, run);
          } else {
            for (let j = 0; j < g.fw; j++) {
              const xi = x0 + j;
              if (xi < 0 || xi >= w) dst.fill(0, at + j * c, at + (j + 1) * c);
              else copyAcross(dst, at + j * c, src, ((b * h + yi) * w + xi) * c, c);
            }
          }
        }
      }
    }
  }
}
