import * as tf from '@tensorflow/tfjs-core';

/**
 * Kernels `@xclr/kernels` registers on the wasm backend (same names there): each channel's mean
 * and variance in one pass, and training-mode batch norm's gradients in two. Used where the
 * active backend has them; composed from tfjs ops elsewhere.
 */
export const CHANNEL_MOMENTS_KERNEL = 'XclrChannelMoments';
export const BATCH_NORM_GRAD_KERNEL = 'XclrBatchNormGrad';

const hasKernel = (name: string) => tf.getKernel(name, tf.getBackend()) != null;

/** Every axis but the last: the axes a channels-last batch norm reduces over. */
const leadingAxes = (x: tf.Tensor) => x.shape.slice(0, -1).map((_, i) => i);

/** Each channel's (last axis) mean and biased variance, as tf.moments; not differentiated. */
export function channelMoments(x: tf.Tensor): { mean: tf.Tensor1D; variance: tf.Tensor1D } {
  if (hasKernel(CHANNEL_MOMENTS_KERNEL)) {
    const [mean, variance] = tf.engine().runKernel(CHANNEL_MOMENTS_KERNEL, { x }) as tf.Tensor1D[];
    return { mean, variance };
  }
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, leadingAxes(x));
    return { mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  });
}

/** Gradients of y = (x − mean) · r · scale + offset, r = (variance + ε)^−½, the statistics x's own. */
function batchNormGrad(dy: tf.Tensor, x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, scale: tf.Tensor, epsilon: number) {
  if (hasKernel(BATCH_NORM_GRAD_KERNEL)) {
    const inputs = { dy, x, mean, variance, scale };
    return tf.engine().runKernel(BATCH_NORM_GRAD_KERNEL, inputs, { varianceEpsilon: epsilon }) as tf.Tensor[];
  }
  return tf.tidy(() => {
    const axes = leadingAxes(x);
    const n = x.size / x.shape[x.rank - 1];
    const r = tf.rsqrt(tf.add(variance, epsilon));
    const centred = tf.sub(x, mean);
    const dOffset = tf.sum(dy, axes);
    const dScale = tf.mul(tf.sum(tf.mul(dy, centred), axes), r);
    // dx = scale · r · (dy − Σ dy / n − x̂ · Σ dy · x̂ / n), x̂ = (x − mean) · r
    const perChannel = tf.div(tf.mul(dScale, r), n);
    const inner = tf.sub(tf.sub(dy, tf.div(dOffset, n)), tf.mul(centred, perChannel));
    return [tf.mul(inner, tf.mul(scale, r)), dScale, dOffset];
  });
}

/**
 * Training-mode batch normalization over the last axis (channels), as tfjs-layers'
 * BatchNormalization computes it in training: y = (x − mean) / √(variance + ε) · scale + offset
 * with the batch's own mean and biased variance, differentiated through them. Also returns those
 * statistics (for the moving averages; not differentiated). Where `@xclr/kernels` is registered
 * the statistics take one pass and the backward pass two, where autodiff through tf.moments and
 * tf.batchNorm makes about a dozen full-size temporaries.
 */
export function batchNormTraining(
  x: tf.Tensor,
  scale: tf.Tensor1D,
  offset: tf.Tensor1D,
  epsilon: number,
): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const channels = x.shape[x.rank - 1];
  if (x.rank < 2 || scale.size !== channels || offset.size !== channels) {
    throw new Error(
      `batchNormTraining: x must be [..., C] with C channels on its last axis and scale and offset [C], ` +
        `got x [${x.shape}], scale [${scale.shape}], offset [${offset.shape}]`,
    );
  }
  const { mean, variance } = channelMoments(x);
  const normalize = tf.customGrad(((xs: tf.Tensor, s: tf.Tensor, o: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xs, s, mean, variance]);
    return {
      value: tf.batchNorm(xs, mean, variance, o, s, epsilon),
      gradFunc: (dy: tf.Tensor, [xSaved, sSaved, m, v]: tf.Tensor[]) => batchNormGrad(dy, xSaved, m, v, sSaved, epsilon),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return { y: normalize(x, scale, offset), mean, variance };
}
