import type { HeapBackend } from '../core/heap.js';
import type { TensorInfo } from '../core/kernel-call.js';
import { inTwoShares } from '../simd/simd-helper.js';
import { heapSimdKernels } from '../simd/simd-kernels.js';

/**
 * Kernels this package adds: a convolution (stride 1, no padding), its bias and ReLU, and a 2 × 2
 * max pool (stride 2) in one pass, and that convolution's filter gradient from the pooled
 * gradient. For first layers (few input channels), whose full-size output is the largest tensor of
 * a small ConvNet and costs more to write and read back than to compute: here it is never
 * written. `@xclr/models`' pooledConv2d layer calls them where they are registered.
 *
 * XclrPooledConv2D: inputs `x` [n, h, w, c], `filter` [fh, fw, c, o], `bias` [o]; outputs the
 * pooled y [n, ⌊(h − fh + 1) / 2⌋, ⌊(w − fw + 1) / 2⌋, o] and the window position of each maximum
 * (0 … 3, row-major, the first on ties), which the gradient reads, packed four channels to an int32:
 * element k of int32 [n, hp, wp, o / 4] is Σᵢ pᵢ · 4ⁱ for the positions pᵢ of channels 4k + i (at
 * most 255, so tfjs ops that compute in float unpack it exactly).
 */
export const POOLED_CONV2D = 'XclrPooledConv2D';

/**
 * XclrPooledConv2DBackpropFilter: inputs `x`, the pooled gradient `dy`, the pooled output `y` and
 * its window positions `argmax`; attribute `filterShape` [fh, fw, c, o]; output the filter
 * gradient (ReLU's gradient included: only outputs with y > 0 pass theirs).
 */
export const POOLED_CONV2D_BACKPROP_FILTER = 'XclrPooledConv2DBackpropFilter';

/** Input channels these kernels take: beyond a few, a convolution and a pool run faster apart. */
export const POOLED_CONV2D_MAX_CHANNELS = 4;

interface Geometry {
  n: number;
  h: number;
  w: number;
  c: number;
  fh: number;
  fw: number;
  o: number;
  /** Pooled rows and columns. */
  hp: number;
  wp: number;
}

function geometry(x: TensorInfo, filterShape: number[]): Geometry | null {
  if (x.dtype !== 'float32' || x.shape.length !== 4 || filterShape.length !== 4) return null;
  const [n, h, w, c] = x.shape;
  const [fh, fw, fc, o] = filterShape;
  if (fc !== c || c > POOLED_CONV2D_MAX_CHANNELS || o % 8 !== 0 || o === 0) return null;
  const hp = Math.floor((h - fh + 1) / 2);
  const wp = Math.floor((w - fw + 1) / 2);
  if (hp < 1 || wp < 1) return null;
  return { n, h, w, c, fh, fw, o, hp, wp };
}

/** What the kernels take, for their error messages. */
export const POOLED_CONV2D_NEEDS =
  `a float32 x [n, h, w, c] with c ≤ ${POOLED_CONV2D_MAX_CHANNELS}, a filter [fh, fw, c, o] with o a multiple of 8 ` +
  "and fh, fw leaving at least one 2 × 2 window, float32 bias [o] (forward) or dy, y of the pooled output's shape and its packed int32 argmax (gradient)";

/**
 * Byte strides of the loops (per input row and image, per pooled row and image) and the sizes both
 * loops take after their addresses.
 */
function strides(g: Geometry) {
  const pixelBytes = g.c * 4;
  const rowBytes = g.w * pixelBytes;
  const tapBytes = g.fw * pixelBytes;
  const channelBytes = g.o * 4;
  const pooledRowBytes = g.wp * channelBytes;
  return {
    rowBytes,
    pooledRowBytes,
    imageBytes: g.h * rowBytes,
    pooledImageBytes: g.hp * pooledRowBytes,
    sizes: [g.wp, pixelBytes, rowBytes, g.fh, tapBytes, channelBytes],
  };
}

const floats = (backend: HeapBackend, t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;

/** XclrPooledConv2D: [y, argmax], images in two shares where a helper thread is set up. */
export function pooledConv2dOnHeap(
  backend: HeapBackend,
  inputs: { x: TensorInfo; filter: TensorInfo; bias: TensorInfo },
): TensorInfo[] | null {
  const { x, filter, bias } = inputs;
  const g = geometry(x, filter.shape);
  const simd = heapSimdKernels(backend);
  if (g == null || simd == null || filter.dtype !== 'float32' || bias.dtype !== 'float32') return null;
  if (bias.shape.length !== 1 || bias.shape[0] !== g.o) return null;
  const s = strides(g);
  const y = backend.makeOutput([g.n, g.hp, g.wp, g.o], 'float32');
  const argmax = backend.makeOutput([g.n, g.hp, g.wp, g.o / 4], 'int32');
  const [xs, ws, bs, ys] = [x, filter, bias, y].map((t) => floats(backend, t));
  const as = backend.typedArrayFromHeap(argmax);
  const { imageBytes, pooledImageBytes } = s;
  inTwoShares(backend, g.n, pooledImageBytes * 2 * g.fh * g.fw * g.c, (first, count) => ({
    name: 'pooledConvRow',
    args: [
      xs.byteOffset + first * imageBytes,
      ws.byteOffset,
      bs.byteOffset,
      ys.byteOffset + first * pooledImageBytes,
      as.byteOffset + (first * pooledImageBytes) / 4,
      ...s.sizes,
    ],
    calls: g.hp,
    step: [2 * s.rowBytes, 0, 0, s.pooledRowBytes, s.pooledRowBytes / 4],
    outer: { calls: count, step: [imageBytes, 0, 0, pooledImageBytes, pooledImageBytes / 4] },
  }));
  return [y, argmax];
}

/**
 * XclrPooledConv2DBackpropFilter: each image's share summed by SIMD into its own float32 slice of
 * a scratch tensor, the images then summed in float64.
 */
export function pooledConv2dFilterGradOnHeap(
  backend: HeapBackend,
  inputs: { x: TensorInfo; dy: TensorInfo; y: TensorInfo; argmax: TensorInfo },
  filterShape: number[],
  scratch: (shape: number[]) => TensorInfo,
): TensorInfo | null {
  const { x, dy, y, argmax } = inputs;
  const g = geometry(x, filterShape);
  const simd = heapSimdKernels(backend);
  if (g == null || simd == null) return null;
  const sameShape = (t: TensorInfo, shape: number[]) => t.shape.length === 4 && t.shape.every((d, i) => d === shape[i]);
  const pooledShape = [g.n, g.hp, g.wp, g.o];
  if (!sameShape(dy, pooledShape) || !sameShape(y, pooledShape) || !sameShape(argmax, [g.n, g.hp, g.wp, g.o / 4])) return null;
  if (dy.dtype !== 'float32' || y.dtype !== 'float32' || argmax.dtype !== 'int32') return null;
  const s = strides(g);
  const taps = g.fh * g.fw * g.c * g.o;
  const partials = floats(backend, scratch([g.n, taps]));
  partials.fill(0);
  const [xs, dys, ys] = [x, dy, y].map((t) => floats(backend, t));
  const as = backend.typedArrayFromHeap(argmax);
  const { imageBytes, pooledImageBytes } = s;
  const row = s.pooledRowBytes;
  inTwoShares(backend, g.n, pooledImageBytes * 2 * g.fh * g.fw * g.c, (first, count) => ({
    name: 'pooledConvFilterGradRow',
    args: [
      xs.byteOffset + first * imageBytes,
      dys.byteOffset + first * pooledImageBytes,
      ys.byteOffset + first * pooledImageBytes,
      as.byteOffset + (first * pooledImageBytes) / 4,
      partials.byteOffset + first * taps * 4,
      ...s.sizes,
    ],
    calls: g.hp,
    step: [2 * s.rowBytes, row, row, row / 4, 0],
    outer: { calls: count, step: [imageBytes, pooledImageBytes, pooledImageBytes, pooledImageBytes / 4, taps * 4] },
  }));
  const sums = new Float64Array(taps);
  for (let i = 0; i < g.n; i++) {
    const image = partials.subarray(i * taps, (i + 1) * taps);
    for (let k = 0; k < taps; k++) sums[k] += image[k];
  }
  const out = backend.makeOutput(filterShape, 'float32');
  floats(backend, out).set(sums);
  return out;
}
