import * as tf from '@tensorflow/tfjs-core';

/**
 * `[indices.length, depth]` float32 rows, `on` at each row's index and `off` elsewhere. Built as an
 * int32 one-hot and cast: tfjs-backend-wasm 4.22's OneHot writes int32 values whatever dtype is
 * asked for, so a float32 `tf.oneHot` there holds 1.4e-45 where it should hold 1.
 */
export function oneHotRows(indices: tf.Tensor1D, depth: number, on = 1, off = 0): tf.Tensor2D {
  return tf.tidy(() => {
    // tf.oneHot needs a depth of at least 2; a single column is compared directly.
    const ones =
      depth < 2
        ? tf.cast(tf.equal(tf.expandDims(indices, 1), tf.zeros([1, 1], 'int32')), 'float32')
        : tf.cast(tf.oneHot(indices, depth), 'float32');
    if (on === 1 && off === 0) return ones as tf.Tensor2D;
    const scaled = tf.mul(ones, on - off);
    return (off === 0 ? scaled : tf.add(scaled, off)) as tf.Tensor2D;
  });
}

/** Indices start, start + 1, …, start + size − 1. */
export function indexRange(start: number, size: number): tf.Tensor1D {
  return tf.range(start, start + size, 1, 'int32') as tf.Tensor1D;
}
