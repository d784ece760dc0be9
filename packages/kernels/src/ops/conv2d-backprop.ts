import * as tf from '@tensorflow/tfjs-core';
import { asHeapBackend } from '../core/heap.js';
import { nativeOffload } from '../offload/offload.js';
import { filterGradientByTaps, gridWaste, MAX_GRID_WASTE, TAPS_MIN_PATCH } from './conv2d-filter-taps.js';
import { inputGradientByPhases } from './conv2d-input-phases.js';
import { pointwiseInputGradient } from './conv2d-input-pointwise.js';
import { IM2COL_MAX_PATCH, im2col } from '../core/im2col.js';
import type { Attrs, KernelCall, TensorInfo } from '../core/kernel-call.js';

// Convolution gradients expressed through the wasm backend's fast XNNPACK kernels.
//
// Filter gradient (missing in tfjs-backend-wasm), dW[i, j, c, o] = Σ_{n, y, x} X[n, y·s + i − top,
// x·s + j − left, c] · dY[n, y, x, o], one of three ways by shape:
// - few weights per output channel (a first layer): im2col and one matmul;
// - at least 512 weights per output channel on maps that are mostly output, not padding:
//   transposed tap windows and matmuls (conv2d-filter-taps.ts);
// - otherwise (small maps) a convolution of Xᵀ = X as [C, H, W, N] with dYᵀ = dY as
//   [Ho, Wo, N, O] used as the filter, dilation = the forward stride, giving [C, fh, fw, O].
//
// Input gradient (present but a slow generic loop): the native engine's where it has one, else
// for a strided 1 × 1 filter a matmul and a scatter (conv2d-input-pointwise.ts), else one stride-1
// Conv2D per phase of the stride (conv2d-input-phases.ts). Timings: packages/kernels/README.md, "What it changes on wasm".

type ConvAttrs = {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

function convInfo(xShape: number[], filterShape: number[], attrs: ConvAttrs) {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

function explicitPad(top: number, bottom: number, left: number, right: number): tf.backend_util.ExplicitPadding {
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}

/** Conv2DBackpropFilter for NHWC, built on Conv2D; `null` where the composition does not apply. */
export function conv2dBackpropFilter(call: KernelCall, x: TensorInfo, dy: TensorInfo, attrs: Attrs): TensorInfo | null {
  const a = attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
  if (a.dataFormat !== 'NHWC') return null;
  const [fh, fw, c, o] = a.filterShape;
  const info = convInfo(x.shape, a.filterShape, a);
  const { strideHeight: sh, strideWidth: sw, padInfo } = info;
  const [n, h, w] = x.shape;
  const [, ho, wo] = dy.shape;
  const geometry = { fh, fw, sh, sw, top: padInfo.top, left: padInfo.left, ho, wo };
  const native = nativeOffload()?.filterGradient(asHeapBackend(call.backend), x, dy, geometry);
  if (native) return native;
  if (fh * fw * c <= IM2COL_MAX_PATCH && x.dtype === 'float32') {
    const patches = call.track(im2col(asHeapBackend(call.backend), x, geometry)); // [P, fh·fw·C]
    const dyT = call.transpose(call.reshape(dy, [1, n * ho * wo, o]), [0, 2, 1]); // [1, O, P]
    const dwT = call.run(
      'BatchMatMul',
      { a: dyT, b: call.reshape(patches, [1, n * ho * wo, fh * fw * c]) },
      { transposeA: false, transposeB: false },
    );
    const dw = call.transpose(call.reshape(dwT, [o, fh * fw * c]), [1, 0]);
    return call.final('Reshape', { x: dw }, { shape: [fh, fw, c, o] });
  }
  if (x.dtype === 'float32' && fh * fw * c >= TAPS_MIN_PATCH && gridWaste(geometry) <= MAX_GRID_WASTE)
    return filterGradientByTaps(call, x, dy, geometry);
  // Rows the forward pass read: up to (ho − 1)·sh + fh − 1 − top; pad or crop X to exactly that.
  let bottom = (ho - 1) * sh + fh - h - padInfo.top;
  let right = (wo - 1) * sw + fw - w - padInfo.left;
  let input = x;
  if (bottom < 0 || right < 0) {
    input = call.slice(x, [0, 0, 0, 0], [n, h + Math.min(bottom, 0), w + Math.min(right, 0), c]);
    bottom = Math.max(bottom, 0);
    right = Math.max(right, 0);
  }
  const xT = call.transpose(input, [3, 1, 2, 0]); // [C, H, W, N]
  const dyT = call.transpose(dy, [1, 2, 0, 3]); // [Ho, Wo, N, O]
  const grad = call.run(
    'Conv2D',
    { x: xT, filter: dyT },
    {
      strides: [1, 1],
      pad: explicitPad(padInfo.top, bottom, padInfo.left, right),
      dataFormat: 'NHWC',
      dilations: [sh, sw],
      dimRoundingMode: undefined as never,
    },
  ); // [C, fh, fw, O]
  if (grad.shape[1] !== fh || grad.shape[2] !== fw) {
    throw new Error(`@xclr/kernels: Conv2DBackpropFilter produced [${grad.shape}] for filter [${a.filterShape}]`);
  }
  return call.final('Transpose', { x: grad }, { perm: [1, 2, 0, 3] });
}

/** Conv2DBackpropInput for NHWC, one stride-1 Conv2D per phase; `null` where the composition does not apply. */
export function conv2dBackpropInput(call: KernelCall, dy: TensorInfo, filter: TensorInfo, attrs: Attrs): TensorInfo | null {
  const a = attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
  if (a.dataFormat !== 'NHWC' || filter.dtype !== 'float32') return null;
  const [fh, fw] = filter.shape;
  const { strideHeight: sh, strideWidth: sw, padInfo } = convInfo(a.inputShape, filter.shape, a);
  const [, ho, wo] = dy.shape;
  const geometry = { fh, fw, sh, sw, top: padInfo.top, left: padInfo.left, ho, wo };
  const native = nativeOffload()?.inputGradient(asHeapBackend(call.backend), dy, filter, geometry, a.inputShape);
  if (native) return native;
  const strided = sh > 1 || sw > 1;
  return (
    (strided ? pointwiseInputGradient(call, dy, filter, geometry, a.inputShape) : null) ??
    inputGradientByPhases(call, dy, filter, geometry, a.inputShape)
  );
}
