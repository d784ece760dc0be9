import * as tf from '@tensorflow/tfjs-core';
import { DataType, type Field, model, node, valueInfo } from '@xclr/onnx-proto';
import type { HeapBackend } from '../core/heap.js';
import type { TensorInfo } from '../core/kernel-call.js';
import { flipTaps, int64s } from './graph-parts.js';
import type { NativeSessions } from './native-sessions.js';
import type { NativeRuntime } from './onnxruntime.js';

// Convolutions on MLAS's NCHWc kernels: direct convolutions over channels in blocks of the
// vector width (16 floats with AVX-512, 8 with AVX2), which onnxruntime itself uses only when its
// graph optimiser can reorder a *constant* filter. Here the filter changes every step, so it is
// reordered on each call (small next to the convolution) and fed to the `com.microsoft.nchwc`
// operators directly: ReorderInput reads the NHWC input into channel blocks, Conv runs (bias and
// relu fused), ReorderOutput writes NHWC back. Measured against onnxruntime's generic Conv:
// packages/kernels/README.md (native section) and bench/results/kernels.json.

/** The operator set of MLAS's blocked-channel kernels (onnxruntime's CPU provider). */
export const NCHWC_DOMAIN = 'com.microsoft.nchwc';
const NCHWC_OPSETS = [{ domain: NCHWC_DOMAIN, version: 1 }];

export interface NchwcConvSpec {
  strides: [number, number];
  dilations: [number, number];
  /** ONNX order: top, left, bottom, right. */
  pads: [number, number, number, number];
  bias: boolean;
  relu: boolean;
  /** Output channels (ReorderOutput drops the block's padding). */
  outChannels: number;
  /**
   * Where the graph takes the TensorFlow.js filter and reorders it into blocks itself (both channel
   * counts whole blocks): its shape [fh, fw, in, out] (flipped: the forward filter [fh, fw, out,
   * in], taps reversed in the graph) and the block. Absent: the graph takes the blocked filter.
   */
  filter?: { shape: number[]; block: number; flipped: boolean };
}

/**
 * Nodes from the TensorFlow.js filter `filter` to the blocked one `w` (blockFilter's layout):
 * split both channel axes into blocks, one Transpose, merge. onnxruntime's Transpose runs it faster
 * than blockFilter's loops.
 */
function filterReorderNodes(f: NonNullable<NchwcConvSpec['filter']>): { nodes: Field[]; initializers: Field[] } {
  const [fh, fw, a, b] = f.shape;
  const B = f.block;
  const nodes: Field[] = [];
  const initializers = [int64s('filter_blocks', [fh, fw, a / B, B, b / B, B])];
  let from = 'filter';
  if (f.flipped) {
    const flip = flipTaps('filter', 'filter_flipped');
    nodes.push(...flip.nodes);
    initializers.push(...flip.initializers);
    from = 'filter_flipped';
  }
  // [fh, fw, a/B, B, b/B, B] → [out/B, in/B, fh, fw, B in, B out]; flipped, a is out and b is in.
  const perm = f.flipped ? [2, 4, 0, 1, 5, 3] : [4, 2, 0, 1, 3, 5];
  const [inChannels, outChannels] = f.flipped ? [b, a] : [a, b];
  initializers.push(int64s('filter_shape', [outChannels, inChannels, fh, fw]));
  nodes.push(
    node('Reshape', [from, 'filter_blocks'], ['filter_split']),
    node('Transpose', ['filter_split'], ['filter_blocked'], [{ name: 'perm', ints: perm }]),
    node('Reshape', ['filter_blocked', 'filter_shape'], ['w']),
  );
  return { nodes, initializers };
}

function nchwcConvModel(s: NchwcConvSpec): Uint8Array {
  const convInputs = s.bias ? ['x_blocked', 'w', 'bias'] : ['x_blocked', 'w'];
  const reorder = s.filter ? filterReorderNodes(s.filter) : { nodes: [], initializers: [] };
  const attributes = [
    { name: 'strides', ints: s.strides },
    { name: 'dilations', ints: s.dilations },
    { name: 'pads', ints: s.pads },
    ...(s.relu ? [{ name: 'activation', string: 'Relu' }] : []),
  ];
  const inputs = [
    valueInfo('x', DataType.FLOAT, ['n', 'h', 'w', 'c']),
    s.filter ? valueInfo('filter', DataType.FLOAT, s.filter.shape) : valueInfo('w', DataType.FLOAT, ['op', 'cp', 'fh', 'fw']),
  ];
  if (s.bias) inputs.push(valueInfo('bias', DataType.FLOAT, ['op']));
  return model({
    name: 'xclr_nchwc_conv2d',
    opset: 13,
    opsets: NCHWC_OPSETS,
    nodes: [
      ...reorder.nodes,
      node('ReorderInput', ['x'], ['x_blocked'], [{ name: 'channels_last', int: 1 }], NCHWC_DOMAIN),
      node('Conv', convInputs, ['y_blocked'], attributes, NCHWC_DOMAIN),
      node(
        'ReorderOutput',
        ['y_blocked'],
        ['y'],
        [
          { name: 'channels', int: s.outChannels },
          { name: 'channels_last', int: 1 },
        ],
        NCHWC_DOMAIN,
      ),
    ],
    inputs,
    initializers: reorder.initializers,
    outputs: [valueInfo('y', DataType.FLOAT, ['n', 'ho', 'wo', s.outChannels])],
  });
}

/** A graph that only reorders a [1, 1, 1, 4] NHWC input into channel blocks: its output's channels are the block size. */
export function blockSizeProbeModel(): Uint8Array {
  return model({
    name: 'xclr_nchwc_block_size',
    opset: 13,
    opsets: NCHWC_OPSETS,
    nodes: [node('ReorderInput', ['x'], ['y'], [{ name: 'channels_last', int: 1 }], NCHWC_DOMAIN)],
    inputs: [valueInfo('x', DataType.FLOAT, [1, 1, 1, 4])],
    outputs: [valueInfo('y', DataType.FLOAT, [1, 'cp', 1, 1])],
  });
}

const blockSizes = new WeakMap<NativeRuntime, number>();

/**
 * MLAS's channel block on this machine (16 with AVX-512, 8 with AVX2), read once per runtime from
 * a ReorderInput's output; 0 where this onnxruntime build has no NCHWc kernels.
 */
export function nchwcBlockSize(runtime: NativeRuntime): number {
  let block = blockSizes.get(runtime);
  if (block === undefined) {
    try {
      const session = runtime.session(blockSizeProbeModel());
      const x = new runtime.Tensor('float32', new Float32Array(4), [1, 1, 1, 4]);
      block = session.run({ x }, { y: null }, {}).y.dims[1];
      session.dispose();
    } catch {
      block = 0;
    }
    blockSizes.set(runtime, block);
  }
  return block;
}

/** Channels rounded up to whole blocks. */
export const roundUpToBlock = (channels: number, block: number) => Math.ceil(channels / block) * block;

/**
 * Reorders a TensorFlow.js filter into MLAS's blocked layout for a convolution from `c` to `o`
 * channels: [o/B][c/B][fh][fw][B input channels][B output channels] (`MlasReorderFilterOIHWBiBo`),
 * zero where c or o runs past a whole block. `dst` holds roundUp(o) · roundUp(c) · fh · fw floats.
 * `hwio` is the filter [fh, fw, c, o]; with `flipped`, it is a forward filter [fh, fw, o, c] whose
 * taps are reversed and channels swapped: the filter of that convolution's input gradient.
 */
export function blockFilter(
  hwio: Float32Array,
  [fh, fw, c, o]: number[],
  block: number,
  dst: Float32Array,
  flipped = false,
): void {
  const taps = fh * fw;
  const inBlocks = roundUpToBlock(c, block) / block;
  const outBlocks = roundUpToBlock(o, block) / block;
  if (c % block !== 0 || o % block !== 0) dst.fill(0, 0, outBlocks * inBlocks * taps * block * block);
  // Where weight (tap k, in ci, out co) lies in `hwio`: output channels are contiguous there, or
  // (flipped) input channels are.
  const inStride = flipped ? 1 : o;
  const outStride = flipped ? c : 1;
  for (let k = 0; k < taps; k++) {
    const tap = (flipped ? taps - 1 - k : k) * c * o;
    for (let ci = 0; ci < c; ci++) {
      const inBlock = (ci / block) | 0;
      const within = ci - inBlock * block;
      const from = tap + ci * inStride;
      for (let ob = 0; ob < outBlocks; ob++) {
        const to = (((ob * inBlocks + inBlock) * taps + k) * block + within) * block;
        const run = Math.min(block, o - ob * block);
        const src = from + ob * block * outStride;
        if (outStride === 1) for (let j = 0; j < run; j++) dst[to + j] = hwio[src + j];
        else for (let j = 0; j < run; j++) dst[to + j] = hwio[src + j * outStride];
      }
    }
  }
}

/**
 * The convolution on MLAS's NCHWc kernels: `x` NHWC with a multiple of 4 channels (ReorderInput's
 * requirement), at least one block of them; the caller checks both. Output NHWC `outShape`. With
 * `flipped`, `filter` is the forward filter whose input gradient this convolution computes (see
 * blockFilter).
 */
export function conv2dOnNchwc(
  sessions: NativeSessions,
  backend: HeapBackend,
  x: TensorInfo,
  filter: TensorInfo,
  bias: TensorInfo | null,
  spec: NchwcConvSpec,
  block: number,
  outShape: number[],
  flipped = false,
): TensorInfo {
  const [fh, fw, fc, fo] = filter.shape;
  const [c, o] = flipped ? [fo, fc] : [fc, fo];
  const cp = roundUpToBlock(c, block);
  const op = roundUpToBlock(o, block);
  const inputs: Record<string, { data: Float32Array; shape: number[] }> = {
    x: { data: sessions.offHeap('x', backend, x), shape: x.shape },
  };
  const wholeBlocks = c % block === 0 && o % block === 0;
  // Whole blocks: the graph reorders the filter (blockFilter's loops cost more on large filters).
  const graph: NchwcConvSpec = wholeBlocks ? { ...spec, filter: { shape: filter.shape, block, flipped } } : spec;
  if (wholeBlocks) {
    inputs.filter = { data: sessions.offHeap('filter', backend, filter), shape: filter.shape };
  } else {
    const w = sessions.buffer('w', op * cp * fh * fw);
    blockFilter(sessions.offHeap('filter', backend, filter), [fh, fw, c, o], block, w, flipped);
    inputs.w = { data: w, shape: [op, cp, fh, fw] };
  }
  if (bias) {
    const padded = sessions.buffer('bias', op);
    padded.set(backend.typedArrayFromHeap(bias) as Float32Array);
    padded.fill(0, o);
    inputs.bias = { data: padded, shape: [op] };
  }
  const y = sessions.buffer('y', tf.util.sizeFromShape(outShape));
  const key = `nchwc conv2d ${JSON.stringify(graph)}`;
  sessions.runIntoByImages(key, () => nchwcConvModel(graph), inputs, ['x'], { data: y, shape: outShape });
  return sessions.onHeap(backend, y, outShape);
}
