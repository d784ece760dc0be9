import { DataType, model, node, valueInfo } from '@xclr/onnx-proto';
import type { HeapBackend } from '../core/heap.js';
import type { TensorInfo } from '../core/kernel-call.js';
import type { ConvGeometry } from '../core/phase-grid.js';
import { inTwoShares } from '../simd/simd-helper.js';
import { int64s } from './graph-parts.js';
import type { NativeSessions } from './native-sessions.js';
import { NCHWC_DOMAIN, nchwcBlockSize } from './nchwc-conv2d.js';

// A convolution's filter gradient as a convolution on MLAS's NCHWc kernels:
//   dW[i, j, c, o] = Σ_{n, y, x} X_pad[n, s·y + i, s·x + j, c] · dY[n, y, x, o]
// is the convolution of X_pad read as [C "images", N channels, H, W] with dY read as a filter
// [O, N, Ho, Wo] dilated by the stride, whose output [C, O, fh, fw] is dW transposed. The batch
// becomes the reduction over channel blocks, which the NCHWc kernels run at close to their
// convolution speed where a Gemm per filter tap (Xᵀ · dY over every pixel) has a small output and
// a long reduction. The input is zero-padded first: MLAS's padded-border path is far slower when
// the kernel (here the whole output map) covers every border. Measured against the tap windows
// and im2col: packages/kernels/README.md (native section), bench/results/kernels.json.

interface FilterGradientSpec {
  n: number;
  h: number;
  w: number;
  c: number;
  o: number;
  ho: number;
  wo: number;
  fh: number;
  fw: number;
  strides: [number, number];
  /** ONNX order over H, W: top, left, bottom, right. */
  pads: [number, number, number, number];
  block: number;
}

function filterGradientModel(s: FilterGradientSpec): Uint8Array {
  const padded = s.pads.some((p) => p > 0);
  const [top, left, bottom, right] = s.pads;
  return model({
    name: 'xclr_nchwc_filter_gradient',
    opset: 13,
    opsets: [{ domain: NCHWC_DOMAIN, version: 1 }],
    nodes: [
      node('Transpose', ['x'], [padded ? 'x_cnhw' : 'x_padded'], [{ name: 'perm', ints: [3, 0, 1, 2] }]),
      ...(padded ? [node('Pad', ['x_cnhw', 'pads'], ['x_padded'])] : []),
      node('ReorderInput', ['x_padded'], ['x_blocked'], [{ name: 'channels_last', int: 0 }], NCHWC_DOMAIN),
      node('Conv', ['x_blocked', 'filter'], ['dw_blocked'], [{ name: 'dilations', ints: s.strides }], NCHWC_DOMAIN),
      node(
        'ReorderOutput',
        ['dw_blocked'],
        ['dw_cohw'],
        [
          { name: 'channels', int: s.o },
          { name: 'channels_last', int: 0 },
        ],
        NCHWC_DOMAIN,
      ),
      node('Transpose', ['dw_cohw'], ['y'], [{ name: 'perm', ints: [2, 3, 0, 1] }]),
    ],
    // The filter is dY in MLAS's blocked layout (blockGradientAsFilter).
    inputs: [valueInfo('x', DataType.FLOAT, [s.n, s.h, s.w, s.c]), valueInfo('filter', DataType.FLOAT, [s.o, s.n, s.ho, s.wo])],
    initializers: padded ? [int64s('pads', [0, 0, top, left, 0, 0, bottom, right])] : [],
    outputs: [valueInfo('y', DataType.FLOAT, [s.fh, s.fw, s.c, s.o])],
  });
}

/**
 * The filter gradient of an NHWC float32 convolution (geometry `g`) on the NCHWc kernels, or null
 * where this route does not apply: no NCHWc kernels, a batch or output channels that are not whole
 * blocks, or an input with rows or columns past the last window (a strided 'valid' convolution).
 */
export function filterGradientOnNchwc(
  sessions: NativeSessions,
  backend: HeapBackend,
  x: TensorInfo,
  dy: TensorInfo,
  g: ConvGeometry,
): TensorInfo | null {
  const block = nchwcBlockSize(sessions.runtime);
  const [n, h, w, c] = x.shape;
  const o = dy.shape[3];
  if (block === 0 || n % block !== 0 || o % block !== 0) return null;
  const bottom = g.sh * (g.ho - 1) + g.fh - h - g.top;
  const right = g.sw * (g.wo - 1) + g.fw - w - g.left;
  if (g.top < 0 || g.left < 0 || bottom < 0 || right < 0) return null;
  const spec: FilterGradientSpec = {
    n,
    h,
    w,
    c,
    o,
    ho: g.ho,
    wo: g.wo,
    fh: g.fh,
    fw: g.fw,
    strides: [g.sh, g.sw],
    pads: [g.top, g.left, bottom, right],
    block,
  };
  const blocked = backend.makeOutput([o, n, g.ho, g.wo], 'float32');
  let filter: Float32Array;
  try {
    blockGradientAsFilter(backend, dy, blocked, block);
    filter = sessions.offHeap('dy', backend, blocked);
  } finally {
    backend.disposeData(blocked.dataId);
  }
  const dw = sessions.buffer('y', g.fh * g.fw * c * o);
  sessions.runInto(
    `nchwc filter gradient ${JSON.stringify(spec)}`,
    () => filterGradientModel(spec),
    {
      x: { data: sessions.offHeap('x', backend, x), shape: x.shape },
      filter: { data: filter, shape: [o, n, g.ho, g.wo] },
    },
    { data: dw, shape: [g.fh, g.fw, c, o] },
  );
  return sessions.onHeap(backend, dw, [g.fh, g.fw, c, o]);
}

/**
 * dY [N, Ho, Wo, O] (N and O whole blocks of `block`) into `out` in MLAS's blocked filter layout
 * [O/B][N/B][Ho][Wo][B of N][B of O] (OIHWBiBo): for each group of B images and each position, the
 * B images' rows of O/B blocks go to O/B planes, B blocks in a row (sequential writes). On the heap
 * with SIMD copies (block-loops.ts), groups in two shares; as one Transpose of six axes inside the
 * graph it ran several times slower, on one thread.
 */
export function blockGradientAsFilter(backend: HeapBackend, dy: TensorInfo, out: TensorInfo, block: number): void {
  const [n, ho, wo, o] = dy.shape;
  const positions = ho * wo;
  const groups = n / block;
  const blockBytes = block * 4;
  const src = backend.typedArrayFromHeap(dy).byteOffset;
  const dst = backend.typedArrayFromHeap(out).byteOffset;
  const group = { src: block * positions * o * 4, dst: positions * block * blockBytes };
  const rest = new Array(9).fill(0);
  inTwoShares(backend, groups, 2 * group.src, (first, count) => ({
    name: 'blockScatter',
    args: [
      src + first * group.src,
      dst + first * group.dst,
      positions,
      block,
      o / block,
      blockBytes,
      o * 4,
      block * blockBytes,
      positions * o * 4,
      blockBytes,
      groups * group.dst,
    ],
    calls: count,
    step: [group.src, group.dst, ...rest],
  }));
}
