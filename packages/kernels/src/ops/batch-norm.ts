import type * as tf from '@tensorflow/tfjs-core';
import { asHeapBackend } from '../core/heap.js';
import type { Attrs, KernelCall, TensorInfo } from '../core/kernel-call.js';

// FusedBatchNorm (y = (x − mean) · scale / √(variance + ε) + offset) is a slow one-thread loop
// with per-element index arithmetic in the stock wasm kernel. With per-channel statistics it
// is y = x · w + b, w = scale / √(variance + ε), b = offset − mean · w: computed on the C channels
// here, then applied by a 1 × 1 depthwise convolution with a bias, which XNNPACK runs as its
// threaded channel-wise multiply-add. Timings: packages/kernels/README.md, "What it changes on wasm".

/** The C values of a per-channel parameter ([C] or [1, …, 1, C]); `null` otherwise. */
function perChannel(
  backend: ReturnType<typeof asHeapBackend>,
  t: TensorInfo | undefined,
  c: number,
  fill: number,
): Float32Array | null {
  if (t == null) return new Float32Array(c).fill(fill);
  if (t.dtype !== 'float32' || t.shape[t.shape.length - 1] !== c || t.shape.slice(0, -1).some((d) => d !== 1)) return null;
  return new Float32Array(backend.typedArrayFromHeap(t) as Float32Array);
}

/** FusedBatchNorm with statistics per channel of the last axis; `null` leaves other shapes to the stock kernel. */
export function batchNormPerChannel(call: KernelCall, inputs: Record<string, TensorInfo>, attrs: Attrs): TensorInfo | null {
  const { x, mean, variance, offset, scale } = inputs;
  const epsilon = (attrs as { varianceEpsilon: number }).varianceEpsilon;
  if (x.dtype !== 'float32' || x.shape.length < 1) return null;
  const heap = asHeapBackend(call.backend);
  const c = x.shape[x.shape.length - 1];
  const m = perChannel(heap, mean, c, 0);
  const v = perChannel(heap, variance, c, 1);
  const o = perChannel(heap, offset, c, 0);
  const s = perChannel(heap, scale, c, 1);
  if (m == null || v == null || o == null || s == null) return null;
  const filter = call.track(heap.makeOutput([1, 1, c, 1], 'float32'));
  const bias = call.track(heap.makeOutput([c], 'float32'));
  const w = heap.typedArrayFromHeap(filter);
  const b = heap.typedArrayFromHeap(bias);
  for (let k = 0; k < c; k++) {
    w[k] = s[k] / Math.sqrt(v[k] + epsilon);
    b[k] = o[k] - m[k] * w[k];
  }
  const size = x.shape.reduce((a, d) => a * d, 1);
  const image = call.reshape(x, [1, 1, size / c, c]);
  const y = call.run('FusedDepthwiseConv2D', { x: image, filter, bias }, {
    strides: [1, 1],
    pad: 'valid',
    dilations: [1, 1],
    dataFormat: 'NHWC',
    activation: 'linear',
  } as unknown as tf.NamedAttrMap);
  return call.final('Reshape', { x: y }, { shape: x.shape });
}
