import * as tf from '@tensorflow/tfjs-core';

/**
 * Row-wise L2 normalisation, x / max(‖x‖, eps), as PyTorch's `F.normalize`. Written with
 * rsqrt of a clamped squared norm so the gradient stays finite for zero rows.
 */
export function l2Normalize(x: tf.Tensor2D, eps = 1e-12): tf.Tensor2D {
  return tf.tidy(() => {
    const squared = tf.sum(tf.square(x), 1, true);
    return tf.mul(x, tf.rsqrt(tf.maximum(squared, eps * eps)));
  });
}

export function maybeNormalize(x: tf.Tensor2D, normalize: boolean): tf.Tensor2D {
  return normalize ? l2Normalize(x) : x;
}
