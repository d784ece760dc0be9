import * as tf from '@tensorflow/tfjs-core';
import { asHeapBackend } from './heap.js';
import { im2col } from './im2col.js';
import type { Attrs, KernelCall, TensorInfo } from './kernel-call.js';

// Convolution gradients expressed through the wasm backend's fast XNNPACK Conv2D.
//
// Filter gradient (missing in tfjs-backend-wasm): dW[i, j, c, o] = Σ_{n, y, x} X[n, y·s + i − top,
// x·s + j − left, c] · dY[n, y, x, o] is a convolution of Xᵀ = X as [C, H, W, N] with dYᵀ = dY as
// [Ho, Wo, N, O] used as the filter, dilation = the forward stride, giving [C, fh, fw, O].
//
// Input gradient (present but about 2 GFLOP/s): dX = full convolution of dY, dilated by the stride
// (zeros inserted with Reshape + Pad), with the filter flipped in space and in↔out swapped.

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

/**
 * Patch rows of at most this many floats take the im2col path. With few input channels (a first
 * layer on grey or RGB images) the Conv2D composition below has only C · fh · fw output rows to
 * spread over threads (9 for a 3 × 3 filter on one channel) and ran at a few GFLOP/s; the patch
 * matrix is then small, and dWᵀ = dYᵀ · patches is one plain matmul.
 */
const IM2COL_MAX_PATCH = 32;

/** Conv2DBackpropFilter for NHWC, built on Conv2D; `null` where the composition does not apply. */
export function conv2dBackpropFilter(call: KernelCall, x: TensorInfo, dy: TensorInfo, attrs: Attrs): TensorInfo | null {
  const a = attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
  if (a.dataFormat !== 'NHWC') return null;
  const [fh, fw, c, o] = a.filterShape;
  const info = convInfo(x.shape, a.filterShape, a);
  const { strideHeight: sh, strideWidth: sw, padInfo } = info;
  const [n, h, w] = x.shape;
  const [, ho, wo] = dy.shape;
  if (fh * fw * c <= IM2COL_MAX_PATCH && x.dtype === 'float32') {
    const geometry = { fh, fw, sh, sw, top: padInfo.top, left: padInfo.left, ho, wo };
    const patches = call.track(im2col(asHeapBackend(call.backend), x, geometry)); // [P, fh·fw·C]
    const dyT = call.transpose(call.reshape(dy, [1, n * ho * wo, o]), [0, 2, 1]); // [1, O, P]
    const dwT = call.run('BatchMatMul', { a: dyT, b: call.reshape(patches, [1, n * ho * wo, fh * fw * c]) }, { transposeA: false, transposeB: false });
    const dw = call.transpose(call.reshape(dwT, [o, fh * fw * c]), [1, 0]);
    return call.final('Reshape', { x: dw }, { shape: [fh, fw, c, o] });
  }
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
    throw new Error(`@xclr/backend: Conv2DBackpropFilter produced [${grad.shape}] for filter [${a.filterShape}]`);
  }
  return call.final('Transpose', { x: grad }, { perm: [1, 2, 0, 3] });
}

/** Conv2DBackpropInput for NHWC, built on Conv2D; `null` where the composition does not apply. */
export function conv2dBackpropInput(call: KernelCall, dy: TensorInfo, filter: TensorInfo, attrs: Attrs): TensorInfo | null {
  const a = attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
  if (a.dataFormat !== 'NHWC') return null;
  const [fh, fw] = filter.shape;
  const info = convInfo(a.inputShape, filter.shape, a);
  const { strideHeight: sh, strideWidth: sw, padInfo } = info;
  const [n, h, w] = a.inputShape;
  const [, ho, wo, o] = dy.shape;
  const top = fh - 1 - padInfo.top;
  const left = fw - 1 - padInfo.left;
  if (top < 0 || left < 0) return null;
  // Insert stride − 1 zeros after every row and column of dY: [N, Ho·sh, Wo·sw, O].
  let dilated = dy;
  if (sh > 1 || sw > 1) {
    const spread = call.reshape(dy, [n, ho, 1, wo, 1, o]);
    const padded = call.run(
      'PadV2',
      { x: spread },
      {
        paddings: [
          [0, 0],
          [0, 0],
          [0, sh - 1],
          [0, 0],
          [0, sw - 1],
          [0, 0],
        ],
        constantValue: 0,
      },
    );
    dilated = call.reshape(padded, [n, ho * sh, wo * sw, o]);
  }
  let [, lh, lw] = dilated.shape;
  let bottom = h - lh + fh - 1 - top;
  let right = w - lw + fw - 1 - left;
  if (bottom < 0 || right < 0) {
    lh += Math.min(bottom, 0);
    lw += Math.min(right, 0);
    dilated = call.slice(dilated, [0, 0, 0, 0], [n, lh, lw, o]);
    bottom = Math.max(bottom, 0);
    right = Math.max(right, 0);
  }
  // Flip the filter in space and swap in/out channels: [fh, fw, C, O] → [fh, fw, O, C].
  const flipped = call.transpose(call.run('Reverse', { x: filter }, { dims: [0, 1] }), [0, 1, 3, 2]);
  return call.final(
    'Conv2D',
    { x: dilated, filter: flipped },
    { strides: [1, 1], pad: explicitPad(top, bottom, left, right), dataFormat: 'NHWC', dilations: [1, 1] },
  );
}
