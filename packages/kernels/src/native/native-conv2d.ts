import * as tf from '@tensorflow/tfjs-core';
import { DataType, model, node, valueInfo } from '@xclr/onnx-proto';
import type { HeapBackend } from '../core/heap.js';
import { im2colInto } from '../core/im2col.js';
import type { TensorInfo } from '../core/kernel-call.js';
import type { ConvGeometry } from '../core/phase-grid.js';
import { flipTaps } from './graph-parts.js';
import { gemmInRowBlocks } from './native-matmul.js';
import type { NativeSessions } from './native-sessions.js';
import { conv2dOnNchwc, type NchwcConvSpec, nchwcBlockSize } from './nchwc-conv2d.js';

// Convolutions on onnxruntime's MLAS, by the route that measured fastest for their shape: small
// maps as im2col and one Gemm over the batch; inputs with whole groups of 4 channels, at least a
// block, on MLAS's NCHWc kernels (nchwc-conv2d.ts); the rest on the generic Conv. TensorFlow.js
// holds images as NHWC and filters as [fh, fw, in, out]; ONNX's Conv wants NCHW and
// [out, in, fh, fw]: that graph transposes on the way in and out. Natively only with many channels
// and large batches (XNNPACK won on a 128-channel layer at a small batch), hence the channel and
// size thresholds in NativeLimits. The input gradient of a convolution is a convolution too
// (conv2d-input-phases.ts), so it takes these routes through the Conv2D kernel.
// Measured: packages/kernels/README.md (native section).

interface ConvSpec {
  strides: [number, number];
  dilations: [number, number];
  /** ONNX order: top, left, bottom, right. */
  pads: [number, number, number, number];
  bias: boolean;
  relu: boolean;
}

function convModel(s: ConvSpec): Uint8Array {
  const convInputs = s.bias ? ['x_nchw', 'w_oihw', 'bias'] : ['x_nchw', 'w_oihw'];
  const nodes = [
    node('Transpose', ['x'], ['x_nchw'], [{ name: 'perm', ints: [0, 3, 1, 2] }]),
    node('Transpose', ['filter'], ['w_oihw'], [{ name: 'perm', ints: [3, 2, 0, 1] }]),
    node(
      'Conv',
      convInputs,
      ['y_nchw'],
      [
        { name: 'strides', ints: s.strides },
        { name: 'dilations', ints: s.dilations },
        { name: 'pads', ints: s.pads },
      ],
    ),
  ];
  if (s.relu) nodes.push(node('Relu', ['y_nchw'], ['y_relu']));
  nodes.push(node('Transpose', [s.relu ? 'y_relu' : 'y_nchw'], ['y'], [{ name: 'perm', ints: [0, 2, 3, 1] }]));
  const inputs = [
    valueInfo('x', DataType.FLOAT, ['n', 'h', 'w', 'c']),
    valueInfo('filter', DataType.FLOAT, ['fh', 'fw', 'c', 'o']),
  ];
  if (s.bias) inputs.push(valueInfo('bias', DataType.FLOAT, ['o']));
  return model({
    name: 'xclr_conv2d',
    opset: 13,
    nodes,
    inputs,
    outputs: [valueInfo('y', DataType.FLOAT, ['n', 'ho', 'wo', 'o'])],
  });
}

type ConvAttrs = {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
};

/**
 * The Conv2D / FusedConv2D kernels' native route: NHWC float32 convolutions (bias and relu fused)
 * with enough channels and multiply-adds (NativeLimits) when the native engine is set up; null
 * otherwise.
 */
export function conv2dOnNative(
  sessions: NativeSessions,
  backend: HeapBackend,
  x: TensorInfo,
  filter: TensorInfo,
  bias: TensorInfo | null,
  attrs: tf.NamedAttrMap,
): TensorInfo | null {
  const a = attrs as unknown as ConvAttrs;
  if (a.dataFormat !== 'NHWC' || x.dtype !== 'float32' || filter.dtype !== 'float32') return null;
  if (a.activation !== undefined && a.activation !== 'linear' && a.activation !== 'relu') return null;
  if (bias != null && (bias.dtype !== 'float32' || bias.shape.length !== 1)) return null;
  const [, , c, o] = filter.shape;
  const { convMinChannels, convMinMacs } = sessions.limits;
  if (c < convMinChannels || o < convMinChannels) return null;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    a.strides,
    a.dilations,
    a.pad,
    a.dimRoundingMode,
    false,
    'channelsLast',
  );
  const outShape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  if (tf.util.sizeFromShape(outShape) * info.filterHeight * info.filterWidth * c < convMinMacs) return null;
  const { top, left, bottom, right } = info.padInfo;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) return null;
  const spec: ConvSpec = {
    strides: [info.strideHeight, info.strideWidth],
    dilations: [info.dilationHeight, info.dilationWidth],
    pads: [top, left, bottom, right],
    bias: bias != null,
    relu: a.activation === 'relu',
  };
  if (
    info.outHeight * info.outWidth <= sessions.limits.im2colMaxPixels &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1
  ) {
    return conv2dAsGemm(sessions, backend, x, filter, bias, spec.relu, info, outShape);
  }
  const block = sessions.limits.nchwcConv ? nchwcBlockSize(sessions.runtime) : 0;
  if (block > 0 && c % 4 === 0 && c >= block) {
    return conv2dOnNchwc(sessions, backend, x, filter, bias, { ...spec, outChannels: o }, block, outShape);
  }
  const inputs: Record<string, TensorInfo> = bias ? { x, filter, bias } : { x, filter };
  return sessions.runByImages(`conv2d ${JSON.stringify(spec)}`, () => convModel(spec), backend, inputs, ['x'], outShape);
}

/** What conv2dAsGemm needs of a convolution's geometry (a subset of tf's Conv2DInfo). */
type GemmConvInfo = Pick<
  tf.backend_util.Conv2DInfo,
  | 'batchSize'
  | 'outHeight'
  | 'outWidth'
  | 'filterHeight'
  | 'filterWidth'
  | 'inChannels'
  | 'outChannels'
  | 'strideHeight'
  | 'strideWidth'
> & { padInfo: { top: number; left: number } };

/**
 * A graph from a forward filter [fh, fw, c, o] to the [fh · fw · o, c] matrix of the convolution
 * computing its input gradient: taps reversed (Slice, step −1), channels swapped (Transpose), rows
 * in im2col order. onnxruntime's Transpose is far faster than a gather in JavaScript.
 */
const FLIPPED_FILTER_GRAPH = {
  key: 'flipped filter matrix',
  build: () => {
    const flip = flipTaps('w', 'flipped');
    return model({
      name: 'xclr_flipped_filter_matrix',
      opset: 13,
      nodes: [
        ...flip.nodes,
        node('Transpose', ['flipped'], ['swapped'], [{ name: 'perm', ints: [0, 1, 3, 2] }]),
        node('Flatten', ['swapped'], ['y'], [{ name: 'axis', int: 3 }]),
      ],
      inputs: [valueInfo('w', DataType.FLOAT, ['fh', 'fw', 'c', 'o'])],
      initializers: flip.initializers,
      outputs: [valueInfo('y', DataType.FLOAT, ['k', 'c'])],
    });
  },
};

/**
 * The convolution as patches · filter: im2col of the whole batch ([N · Ho · Wo, fh · fw · C],
 * rows in NHWC order) times the filter read as [fh · fw · C, O] (its layout already), one Gemm
 * whose rows are the NHWC output. For small maps, where Conv's per-image products are too short
 * to keep MLAS busy. With `flipped`, `filter` is the forward filter whose input gradient this
 * convolution computes, rearranged by onnxruntime first.
 */
function conv2dAsGemm(
  sessions: NativeSessions,
  backend: HeapBackend,
  x: TensorInfo,
  filter: TensorInfo,
  bias: TensorInfo | null,
  relu: boolean,
  info: GemmConvInfo,
  outShape: number[],
  flipped = false,
): TensorInfo {
  const rows = info.batchSize * info.outHeight * info.outWidth;
  const depth = info.filterHeight * info.filterWidth * info.inChannels;
  const o = info.outChannels;
  const patches = sessions.buffer('a', rows * depth);
  const geometry = {
    fh: info.filterHeight,
    fw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
    ho: info.outHeight,
    wo: info.outWidth,
  };
  im2colInto(backend.typedArrayFromHeap(x) as Float32Array, x.shape, geometry, patches);
  let filterMatrix = sessions.offHeap('b', backend, filter);
  if (flipped) {
    const forward = { data: filterMatrix, shape: filter.shape };
    filterMatrix = sessions.buffer('b flipped', filterMatrix.length);
    sessions.runInto(
      FLIPPED_FILTER_GRAPH.key,
      FLIPPED_FILTER_GRAPH.build,
      { w: forward },
      { data: filterMatrix, shape: [depth, o] },
    );
  }
  const weights = { data: filterMatrix, shape: [depth, o] };
  const biasValues = bias ? { data: sessions.offHeap('bias', backend, bias), shape: [o] } : null;
  const y = sessions.buffer('y', rows * o);
  const gemm = { rankA: 2, rankB: 2, transposeA: false, biasRank: bias ? 1 : null, relu };
  gemmInRowBlocks(sessions, gemm, { data: patches, shape: [rows, depth] }, weights, biasValues, y);
  return sessions.onHeap(backend, y, outShape);
}

interface ConvTransposeSpec {
  strides: [number, number];
  /** ONNX order: top, left, bottom, right. */
  pads: [number, number, number, number];
  outputPadding: [number, number];
}

/**
 * dX of a convolution as ONNX's ConvTranspose of dY with the forward filter: [fh, fw, c, o] read
 * as its [o, c, fh, fw] weight, NHWC in and out.
 */
function convTransposeModel(s: ConvTransposeSpec): Uint8Array {
  return model({
    name: 'xclr_conv2d_input_gradient',
    opset: 13,
    nodes: [
      node('Transpose', ['dy'], ['dy_nchw'], [{ name: 'perm', ints: [0, 3, 1, 2] }]),
      node('Transpose', ['filter'], ['w_ochw'], [{ name: 'perm', ints: [3, 2, 0, 1] }]),
      node(
        'ConvTranspose',
        ['dy_nchw', 'w_ochw'],
        ['dx_nchw'],
        [
          { name: 'strides', ints: s.strides },
          { name: 'pads', ints: s.pads },
          { name: 'output_padding', ints: s.outputPadding },
        ],
      ),
      node('Transpose', ['dx_nchw'], ['y'], [{ name: 'perm', ints: [0, 2, 3, 1] }]),
    ],
    inputs: [
      valueInfo('dy', DataType.FLOAT, ['n', 'ho', 'wo', 'o']),
      valueInfo('filter', DataType.FLOAT, ['fh', 'fw', 'c', 'o']),
    ],
    outputs: [valueInfo('y', DataType.FLOAT, ['n', 'h', 'w', 'c'])],
  });
}

/**
 * ConvTranspose's end padding and output padding along one axis for an input gradient of
 * `length` rows: its output is s · (ho − 1) + f − begin − end + outputPadding rows. Null where
 * the forward pass cropped more rows than the output padding (< s) can restore.
 */
function transposeEnd(stride: number, filter: number, begin: number, outLength: number, length: number): [number, number] | null {
  const end = stride * (outLength - 1) + filter - begin - length;
  if (end >= 0) return [end, 0];
  return -end < stride ? [0, -end] : null;
}

/**
 * Conv2DBackpropInput of a strided NHWC convolution as onnxruntime's ConvTranspose (NativeLimits
 * stridedInputGradient), where the phases would run s_h · s_w small convolutions and interleave
 * them on the heap. Null below conv2dOnNative's limits and where the padding does not fit.
 */
function stridedInputGradientOnNative(
  sessions: NativeSessions,
  backend: HeapBackend,
  dy: TensorInfo,
  filter: TensorInfo,
  g: ConvGeometry,
  inputShape: number[],
): TensorInfo | null {
  const [, h, w] = inputShape;
  const [fh, fw] = filter.shape;
  const rows = transposeEnd(g.sh, fh, g.top, g.ho, h);
  const cols = transposeEnd(g.sw, fw, g.left, g.wo, w);
  if (rows == null || cols == null || g.top < 0 || g.left < 0) return null;
  const spec: ConvTransposeSpec = {
    strides: [g.sh, g.sw],
    pads: [g.top, g.left, rows[0], cols[0]],
    outputPadding: [rows[1], cols[1]],
  };
  const key = `conv transpose ${JSON.stringify(spec)}`;
  return sessions.runByImages(key, () => convTransposeModel(spec), backend, { dy, filter }, ['dy'], inputShape);
}

/**
 * Conv2DBackpropInput of a stride-1 NHWC convolution straight on the NCHWc kernels: the
 * convolution of dY with the forward filter flipped and its channels swapped, which the blocked
 * reorder reads from the forward filter as it lies (the composed route builds it on the heap: a
 * copy and a transpose per call); on maps of at most inputGradientIm2colMaxPixels, as im2col and
 * one Gemm with that flipped filter rearranged by onnxruntime. Null below conv2dOnNative's limits,
 * where the NCHWc kernels do not apply or where the gradient crops dY; the phases then compose it.
 */
export function inputGradientOnNative(
  sessions: NativeSessions,
  backend: HeapBackend,
  dy: TensorInfo,
  filter: TensorInfo,
  g: ConvGeometry,
  inputShape: number[],
): TensorInfo | null {
  const [n, h, w, c] = inputShape;
  const [fh, fw, , o] = filter.shape;
  const { convMinChannels, convMinMacs, inputGradientIm2colMaxPixels, nchwcConv, stridedInputGradient } = sessions.limits;
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32') return null;
  if (c < convMinChannels || o < convMinChannels) return null;
  if (g.sh !== 1 || g.sw !== 1) {
    // the forward pass's multiply-adds, which a strided gradient's input (dY) counts; 1 × 1 filters
    // and small maps (one short product per image) were faster composed
    if (!stridedInputGradient || n * g.ho * g.wo * fh * fw * c * o < convMinMacs) return null;
    if (fh * fw === 1 || g.ho * g.wo <= inputGradientIm2colMaxPixels) return null;
    return stridedInputGradientOnNative(sessions, backend, dy, filter, g, inputShape);
  }
  if (n * h * w * fh * fw * c * o < convMinMacs) return null;
  // dY padded so that the stride-1 convolution's output is the input's h × w.
  const pads: [number, number, number, number] = [fh - 1 - g.top, fw - 1 - g.left, h + g.top - g.ho, w + g.left - g.wo];
  if (pads.some((p) => p < 0)) return null;
  if (h * w <= inputGradientIm2colMaxPixels) {
    const info = {
      batchSize: n,
      outHeight: h,
      outWidth: w,
      filterHeight: fh,
      filterWidth: fw,
      inChannels: o,
      outChannels: c,
      strideHeight: 1,
      strideWidth: 1,
      padInfo: { top: pads[0], left: pads[1] },
    };
    return conv2dAsGemm(sessions, backend, dy, filter, null, false, info, inputShape, true);
  }
  const block = nchwcConv ? nchwcBlockSize(sessions.runtime) : 0;
  if (block === 0 || o % 4 !== 0 || o < block) return null;
  const spec: NchwcConvSpec = { strides: [1, 1], dilations: [1, 1], pads, bias: false, relu: false, outChannels: c };
  return conv2dOnNchwc(sessions, backend, dy, filter, null, spec, block, inputShape, true);
}
