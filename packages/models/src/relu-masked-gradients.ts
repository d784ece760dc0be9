import type * as tf from '@tensorflow/tfjs-core';

// Which tensors are ReLU outputs of this package's conv2d layer, and which gradients are already
// zero wherever such an output is: a max pool right after a ReLU can mask its small output
// gradient instead of the ReLU masking the pool's full-size input gradient (maxPooling2d), and
// the convolution's gradient then skips its ReLU mask (registerFusedConv2DGradient). Keyed by
// tensor data, so clones and kept tensors count, and nothing is held alive.

const reluOutputs = new WeakSet<object>();
/** Masked gradient (data) → the pooled gradient it spreads out: the same sum per channel. */
const maskedGradients = new WeakMap<object, tf.Tensor>();

/** Marks `y` as the output of a ReLU (every value ≥ 0, or NaN). */
export function markReluOutput(y: tf.Tensor): void {
  reluOutputs.add(y.dataId);
}

export function isReluOutput(x: tf.Tensor): boolean {
  return reluOutputs.has(x.dataId);
}

/**
 * Marks `dx` as a gradient with respect to a ReLU output that is already zero wherever that
 * output is zero: max pooling's gradient of a masked `pooled` gradient, every element of which
 * lands in one place of `dx` (so per-channel sums of `dx` are those of `pooled`).
 */
export function markMaskedGradient(dx: tf.Tensor, pooled: tf.Tensor): void {
  maskedGradients.set(dx.dataId, pooled);
}

/**
 * For a gradient marked by markMaskedGradient: the pooled gradient whose per-channel sums it has,
 * if that tensor is still alive, or `true` where only the mark remains; else null.
 */
export function maskedGradient(dy: tf.Tensor): tf.Tensor | true | null {
  const pooled = maskedGradients.get(dy.dataId);
  if (pooled == null) return null;
  return pooled.isDisposed ? true : pooled;
}
