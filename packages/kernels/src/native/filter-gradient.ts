import type { HeapBackend } from '../core/heap.js';
import type { TensorInfo } from '../core/kernel-call.js';
import type { ConvGeometry } from '../core/phase-grid.js';
import { DataType, model, node, valueInfo } from '@xclr/onnx-proto';
import { IM2COL_MAX_PATCH, im2colInto } from '../core/im2col.js';
import { int64s, MICROSOFT_DOMAIN } from './graph-parts.js';
import { matMulGraph } from './native-matmul.js';
import type { NativeSessions } from './native-sessions.js';
import { filterGradientOnNchwc } from './nchwc-filter-gradient.js';

// Conv2DBackpropFilter on onnxruntime for stride-1 convolutions:
//   dW[i, j] = Σ_{n, y, x} X_pad[n, y + i, x + j, :]ᵀ · dY[n, y, x, :]
// Lay the padded input and dY (zero outside the output) on one grid (n, Y, X), flattened to rows:
// tap (i, j) then reads the input at a constant row offset i·W + j, so each tap is one Gemm of two
// *contiguous* row windows, Xᵀ[C, M] · dY[M, O], with no gather at all. Rows where dY is zero add
// nothing, so windows may run over image edges.

const GEMM_AT = { rankA: 2, rankB: 2, transposeA: true, biasRank: null, relu: false };
const GEMM_AT_GRAPH = matMulGraph(GEMM_AT);

/**
 * A tap's product Xᵀ[C, M] · dY[M, O] has a long M and a small C × O: MLAS splits a product over
 * the output only, so one Gemm ran on one thread (a second thread barely helped on the ConvNet's
 * 32 × 86,528 × 64). Cut M into SPLIT slices, multiply them as a batch (parallel over the batch)
 * and add the slices' products: much faster there. Only where each slice stays longer than the
 * output is wide: ResNet-18's last stage (512 × 1,152 × 512 per tap) was slower split.
 * Timings: packages/kernels/README.md, "Native kernels through onnxruntime-node".
 */
const SPLIT = 8;
const worthSplitting = (rows: number, c: number, o: number) => rows >= SPLIT * Math.max(c, o);
const SPLIT_TAP_GRAPH = {
  key: 'filter-gradient tap, split M',
  build: () =>
    model({
      name: 'xclr_tap_split_m',
      opset: 13,
      nodes: [
        node('Transpose', ['a'], ['at'], [{ name: 'perm', ints: [0, 2, 1] }]),
        node('MatMul', ['at', 'b'], ['slices']),
        node('ReduceSum', ['slices', 'axes'], ['y'], [{ name: 'keepdims', int: 0 }]),
      ],
      inputs: [valueInfo('a', DataType.FLOAT, [SPLIT, 'm', 'c']), valueInfo('b', DataType.FLOAT, [SPLIT, 'm', 'o'])],
      initializers: [int64s('axes', [0])],
      outputs: [valueInfo('y', DataType.FLOAT, ['c', 'o'])],
    }),
};

/**
 * Every tap of a block of images in one run: tap t's window `a{t}` [SPLIT, m, C] and dY `b`
 * [SPLIT, m, O] multiply as FusedMatMul(transA) per slice (no transpose pass), the slices summed,
 * the taps concatenated into dW's layout [taps, C, O].
 */
const blockTapsGraph = (taps: number) => ({
  key: `filter-gradient taps of an image block {"taps":${taps}}`,
  build: () =>
    model({
      name: 'xclr_taps_of_an_image_block',
      opset: 13,
      opsets: [{ domain: MICROSOFT_DOMAIN, version: 1 }],
      nodes: [
        ...Array.from({ length: taps }, (_, t) => [
          node('FusedMatMul', [`a${t}`, 'b'], [`p${t}`], [{ name: 'transA', int: 1 }], MICROSOFT_DOMAIN),
          node('ReduceSum', [`p${t}`, 'axes'], [`s${t}`], [{ name: 'keepdims', int: 1 }]),
        ]).flat(),
        node(
          'Concat',
          Array.from({ length: taps }, (_, t) => `s${t}`),
          ['y'],
          [{ name: 'axis', int: 0 }],
        ),
      ],
      inputs: [
        ...Array.from({ length: taps }, (_, t) => valueInfo(`a${t}`, DataType.FLOAT, ['s', 'm', 'c'])),
        valueInfo('b', DataType.FLOAT, ['s', 'm', 'o']),
      ],
      initializers: [int64s('axes', [0])],
      outputs: [valueInfo('y', DataType.FLOAT, [taps, 'c', 'o'])],
    }),
});

/**
 * Copies NHWC `src` ([n, h, w, c] on the heap) into `dst` ([n, gh, gw, c]) at row `top`, column
 * `left`, zeros elsewhere: one pass over the grid, each grid row copied or zeroed once.
 */
function toGrid(src: Float32Array, shape: number[], dst: Float32Array, gh: number, gw: number, top: number, left: number): void {
  const [n, h, w, c] = shape;
  if (top === 0 && left === 0 && gh === h && gw === w) {
    dst.set(src.subarray(0, n * h * w * c));
    return;
  }
  const x0 = Math.max(0, -left);
  const x1 = Math.min(w, gw - left);
  const rowLength = gw * c;
  const runStart = (x0 + left) * c;
  const runLength = Math.max(0, x1 - x0) * c;
  for (let b = 0; b < n; b++) {
    for (let gy = 0; gy < gh; gy++) {
      const row = (b * gh + gy) * rowLength;
      const y = gy - top;
      if (y < 0 || y >= h || runLength === 0) {
        dst.fill(0, row, row + rowLength);
        continue;
      }
      dst.fill(0, row, row + runStart);
      const from = ((b * h + y) * w + x0) * c;
      dst.set(src.subarray(from, from + runLength), row + runStart);
      dst.fill(0, row + runStart + runLength, row + rowLength);
    }
  }
}

/**
 * The filter gradient of an NHWC convolution on onnxruntime: im2col and one Gemm for a small
 * output map; else, stride 1 with 64 to 128 channels (NativeLimits tapBlocksMinChannels), the
 * tap windows in blocks of images; else one NCHWc convolution where the batch and output channels
 * are whole blocks (nchwc-filter-gradient.ts); else im2col and one Gemm for few weights per output
 * channel or a strided layer's patches up to stridedIm2colMaxBytes; else the tap windows (stride 1); null where
 * none applies.
 */
export function filterGradientOnNative(
  sessions: NativeSessions,
  backend: HeapBackend,
  x: TensorInfo,
  dy: TensorInfo,
  g: ConvGeometry,
): TensorInfo | null {
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') return null;
  const [n, , , c] = x.shape;
  const o = dy.shape[3];
  if (n * g.ho * g.wo * g.fh * g.fw * c * o < sessions.limits.filterGradientMinMacs) return null;
  const stride1 = g.sh === 1 && g.sw === 1;
  const patchFloats = n * g.ho * g.wo * g.fh * g.fw * c;
  const smallMap = g.ho * g.wo <= sessions.limits.filterGradientIm2colMaxPixels;
  // Larger maps, stride 1, 64 to 128 channels (more weights per output channel than a first
  // layer's, which take im2col), a batch beyond the cache: the tap windows in blocks of images.
  const { tapBlocksMinChannels: least, tapBlocksMaxChannels: most } = sessions.limits;
  const inRange = [c, o].every((k) => k >= least && k <= most);
  const gridBytes = n * (g.ho + g.fh - 1) * (g.wo + g.fw - 1) * (c + o) * 4;
  const large = gridBytes > sessions.limits.tapBlocksMinBatchBytes;
  if (!smallMap && stride1 && inRange && large && g.fh * g.fw * c > IM2COL_MAX_PATCH) {
    return filterGradientInImageBlocks(sessions, backend, x, dy, g);
  }
  // Else the NCHWc kernels where the batch and output channels are whole blocks (first layers and
  // strided ones included: it measured as fast as im2col there or faster).
  const nchwc = !smallMap && sessions.limits.nchwcFilterGradient ? filterGradientOnNchwc(sessions, backend, x, dy, g) : null;
  if (nchwc) return nchwc;
  const im2col =
    smallMap ||
    (g.fh * g.fw * c <= IM2COL_MAX_PATCH && stride1) ||
    (!stride1 && patchFloats * 4 <= sessions.limits.stridedIm2colMaxBytes);
  if (im2col) {
    // Few weights per output channel (a first layer): one Gemm, patchesᵀ · dY, reads dY once
    // where the taps would read it fh · fw times. Small maps (deep layers): the taps' products are
    // short, one Gemm over the whole batch is not. The patches are built off the heap (element
    // access to a shared heap is slow in V8), straight into the buffer onnxruntime reads.
    const k = g.fh * g.fw * c;
    const p = n * g.ho * g.wo;
    const xs = sessions.offHeap('x', backend, x);
    const patches = sessions.buffer('a', p * k);
    im2colInto(xs, x.shape, g, patches);
    const ds = sessions.offHeap('dy', backend, dy);
    const dw = sessions.buffer('y', k * o);
    // The same long product as a tap's below: split into slices where the rows divide evenly.
    const split = p % SPLIT === 0 && worthSplitting(p, k, o);
    const graph = split ? SPLIT_TAP_GRAPH : GEMM_AT_GRAPH;
    const shape = (cols: number) => (split ? [SPLIT, p / SPLIT, cols] : [p, cols]);
    sessions.runInto(
      graph.key,
      graph.build,
      { a: { data: patches, shape: shape(k) }, b: { data: ds, shape: shape(o) } },
      { data: dw, shape: [k, o] },
    );
    return sessions.onHeap(backend, dw, [g.fh, g.fw, c, o]);
  }
  if (!stride1) return null;
  // The grid: the output's rows and columns plus the filter's reach. SPLIT zero rows after it, so
  // that every tap's window can be rounded up to a multiple of SPLIT rows: the extra rows of X are
  // those zeros (or past the window, where dY is zero), and add nothing.
  const gh = g.ho + g.fh - 1;
  const gw = g.wo + g.fw - 1;
  const rows = n * gh * gw;
  const xs = sessions.buffer('x', (rows + SPLIT) * c);
  toGrid(backend.typedArrayFromHeap(x) as Float32Array, x.shape, xs, gh, gw, g.top, g.left);
  xs.fill(0, rows * c);
  const ds = sessions.buffer('dy', (rows + SPLIT) * o);
  toGrid(backend.typedArrayFromHeap(dy) as Float32Array, dy.shape, ds, gh, gw, 0, 0);
  ds.fill(0, rows * o);
  const dw = sessions.buffer('y', g.fh * g.fw * c * o);
  const slices = worthSplitting(rows, c, o) ? SPLIT : 1;
  const graph = slices > 1 ? SPLIT_TAP_GRAPH : GEMM_AT_GRAPH;
  for (let i = 0; i < g.fh; i++) {
    for (let j = 0; j < g.fw; j++) {
      const offset = i * gw + j;
      const m = Math.ceil((rows - offset) / slices) * slices;
      const shape = (cols: number) => (slices > 1 ? [slices, m / slices, cols] : [m, cols]);
      const tap = i * g.fw + j;
      sessions.runInto(
        graph.key,
        graph.build,
        {
          a: { data: xs.subarray(offset * c, (offset + m) * c), shape: shape(c) },
          b: { data: ds.subarray(0, m * o), shape: shape(o) },
        },
        { data: dw.subarray(tap * c * o, (tap + 1) * c * o), shape: [c, o] },
      );
    }
  }
  return sessions.onHeap(backend, dw, [g.fh, g.fw, c, o]);
}

/**
 * A stride-1 filter gradient as the tap windows (see the top of this file) over blocks of whole
 * images: each block's grid is built, then all fh · fw taps read it in one run while it is in
 * cache, and the blocks' products are summed. Over the whole batch at once each tap streamed the
 * grid from memory again, at the memory's speed rather than MLAS's.
 */
function filterGradientInImageBlocks(
  sessions: NativeSessions,
  backend: HeapBackend,
  x: TensorInfo,
  dy: TensorInfo,
  g: ConvGeometry,
): TensorInfo {
  const [n, h, w, c] = x.shape;
  const o = dy.shape[3];
  const gh = g.ho + g.fh - 1;
  const gw = g.wo + g.fw - 1;
  const perImage = gh * gw;
  const images = Math.max(1, Math.min(n, Math.floor(sessions.limits.tapBlockBytes / (perImage * (c + o) * 4))));
  // The last tap's window reaches this many rows past the block: zeros (dY there is zero, and
  // stale values could be NaN).
  const reach = (g.fh - 1) * gw + g.fw - 1;
  const xs = sessions.buffer('x', (images * perImage + reach) * c);
  const ds = sessions.buffer('dy', images * perImage * o);
  const taps = g.fh * g.fw;
  const part = sessions.buffer('y', taps * c * o);
  const dw = new Float32Array(taps * c * o);
  const graph = blockTapsGraph(taps);
  const xHeap = backend.typedArrayFromHeap(x) as Float32Array;
  const dyHeap = backend.typedArrayFromHeap(dy) as Float32Array;
  for (let first = 0; first < n; first += images) {
    const count = Math.min(images, n - first);
    const rows = count * perImage;
    toGrid(xHeap.subarray(first * h * w * c), [count, h, w, c], xs, gh, gw, g.top, g.left);
    xs.fill(0, rows * c, (rows + reach) * c);
    toGrid(dyHeap.subarray(first * g.ho * g.wo * o), [count, g.ho, g.wo, o], ds, gh, gw, 0, 0);
    // Slices for MLAS's two threads (it parallelises a batch, not a long reduction): a divisor of the rows.
    const slices = [SPLIT, 4, 2].find((s) => rows % s === 0) ?? 1;
    const m = rows / slices;
    const inputs: Record<string, { data: Float32Array; shape: number[] }> = {
      b: { data: ds.subarray(0, rows * o), shape: [slices, m, o] },
    };
    for (let i = 0; i < g.fh; i++) {
      for (let j = 0; j < g.fw; j++) {
        const offset = i * gw + j;
        inputs[`a${i * g.fw + j}`] = { data: xs.subarray(offset * c, (offset + rows) * c), shape: [slices, m, c] };
      }
    }
    sessions.runInto(graph.key, graph.build, inputs, { data: part, shape: [taps, c, o] });
    for (let k = 0; k < dw.length; k++) dw[k] += part[k];
  }
  return sessions.onHeap(backend, dw, [g.fh, g.fw, c, o]);
}
