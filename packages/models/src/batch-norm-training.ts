import * as tf from '@tensorflow/tfjs-core';

/**
 * Kernels `@xclr/kernels` registers on the wasm backend (same names there): each channel's mean
 * and variance in one pass, and training-mode batch norm's gradients in two. Used where the
 * active backend has them; composed from tfjs ops elsewhere.
 */
export const CHANNEL_MOMENTS_KERNEL = 'XclrChannelMoments';
export const BATCH_NORM_APPLY_KERNEL = 'XclrBatchNormApply';
export const BATCH_NORM_GRAD_KERNEL = 'XclrBatchNormGrad';

const hasKernel = (name: string) => tf.getKernel(name, tf.getBackend()) != null;

/** Every axis but the last: the axes a channels-last batch norm reduces over. */
const leadingAxes = (x: tf.Tensor) => x.shape.slice(0, -1).map((_, i) => i);

/** `x` as [groups, rows of a group, C]. */
const byGroup = (x: tf.Tensor, groups: number) => tf.reshape(x, [groups, -1, x.shape[x.rank - 1]]) as tf.Tensor3D;

/**
 * Each channel's (last axis) mean and biased variance, as tf.moments; not differentiated. With
 * `groups` > 1 the rows (every axis but the last) are that many equal groups in order, each with
 * its own statistics: [groups, C] each.
 */
export function channelMoments(x: tf.Tensor, groups = 1): { mean: tf.Tensor; variance: tf.Tensor } {
  if (hasKernel(CHANNEL_MOMENTS_KERNEL)) {
    const [mean, variance] = tf.engine().runKernel(CHANNEL_MOMENTS_KERNEL, { x }, { groups }) as tf.Tensor[];
    return { mean, variance };
  }
  return tf.tidy(() => {
    if (groups === 1) {
      const { mean, variance } = tf.moments(x, leadingAxes(x));
      return { mean, variance };
    }
    const { mean, variance } = tf.moments(byGroup(x, groups), [1]);
    return { mean, variance };
  });
}

/**
 * Gradients of y = (x − mean) · r · scale + offset, r = (variance + ε)^−½, the statistics x's own
 * (per group of rows with `groups`: mean and variance [groups, C]; scale and offset gradients
 * summed over the groups).
 */
function batchNormGrad(
  dy: tf.Tensor,
  x: tf.Tensor,
  mean: tf.Tensor,
  variance: tf.Tensor,
  scale: tf.Tensor,
  epsilon: number,
  groups: number,
) {
  if (hasKernel(BATCH_NORM_GRAD_KERNEL)) {
    const inputs = { dy, x, mean, variance, scale };
    return tf.engine().runKernel(BATCH_NORM_GRAD_KERNEL, inputs, { varianceEpsilon: epsilon, groups }) as tf.Tensor[];
  }
  return tf.tidy(() => {
    const c = x.shape[x.rank - 1];
    const [x3, dy3] = [byGroup(x, groups), byGroup(dy, groups)];
    const n = x3.shape[1];
    const r = tf.rsqrt(tf.add(tf.reshape(variance, [groups, 1, c]), epsilon));
    const centred = tf.sub(x3, tf.reshape(mean, [groups, 1, c]));
    const sumDy = tf.sum(dy3, 1, true);
    const sumDyXc = tf.sum(tf.mul(dy3, centred), 1, true);
    const dOffset = tf.sum(sumDy, [0, 1]);
    const dScale = tf.sum(tf.mul(sumDyXc, r), [0, 1]);
    // dx = scale · r · (dy − Σ dy / n − x̂ · Σ dy · x̂ / n), x̂ = (x − mean) · r, sums per group
    const perChannel = tf.div(tf.mul(sumDyXc, tf.square(r)), n);
    const inner = tf.sub(tf.sub(dy3, tf.div(sumDy, n)), tf.mul(centred, perChannel));
    const dx = tf.reshape(tf.mul(inner, tf.mul(scale, r)), x.shape);
    return [dx, dScale, dOffset];
  });
}

/** y from given statistics (per group with `groups`); not differentiated. */
function batchNormApply(
  x: tf.Tensor,
  mean: tf.Tensor,
  variance: tf.Tensor,
  offset: tf.Tensor,
  scale: tf.Tensor,
  epsilon: number,
  groups: number,
) {
  if (groups === 1)
    return tf.batchNorm(x, mean as tf.Tensor1D, variance as tf.Tensor1D, offset as tf.Tensor1D, scale as tf.Tensor1D, epsilon);
  if (hasKernel(BATCH_NORM_APPLY_KERNEL)) {
    const inputs = { x, mean, variance, scale, offset };
    return tf.engine().runKernel(BATCH_NORM_APPLY_KERNEL, inputs, { varianceEpsilon: epsilon, groups }) as tf.Tensor;
  }
  return tf.tidy(() => {
    const c = x.shape[x.rank - 1];
    const w = tf.mul(tf.rsqrt(tf.add(tf.reshape(variance, [groups, 1, c]), epsilon)), scale);
    const y = tf.add(tf.mul(tf.sub(byGroup(x, groups), tf.reshape(mean, [groups, 1, c])), w), offset);
    return tf.reshape(y, x.shape);
  });
}

/**
 * Training-mode batch normalization over the last axis (channels), as tfjs-layers'
 * BatchNormalization computes it in training: y = (x − mean) / √(variance + ε) · scale + offset
 * with the batch's own mean and biased variance, differentiated through them. Also returns those
 * statistics (for the moving averages; not differentiated). Where `@xclr/kernels` is registered
 * the statistics take one pass and the backward pass two, where autodiff through tf.moments and
 * tf.batchNorm makes about a dozen full-size temporaries.
 *
 * `groups` > 1 splits the batch (x's first axis) into that many equal groups in order, each
 * normalised with its own statistics ([groups, C] each): the values and gradients of one call per
 * group, in one call (two views of a batch in one pass through a model, say).
 */
export function batchNormTraining(
  x: tf.Tensor,
  scale: tf.Tensor1D,
  offset: tf.Tensor1D,
  epsilon: number,
  groups = 1,
): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  const channels = x.shape[x.rank - 1];
  if (x.rank < 2 || scale.size !== channels || offset.size !== channels) {
    throw new Error(
      `batchNormTraining: x must be [..., C] with C channels on its last axis and scale and offset [C], ` +
        `got x [${x.shape}], scale [${scale.shape}], offset [${offset.shape}]`,
    );
  }
  if (!Number.isInteger(groups) || groups < 1 || x.shape[0] % groups !== 0) {
    throw new Error(`batchNormTraining: groups must be a whole divisor of x's first axis, got ${groups} for x [${x.shape}]`);
  }
  const { mean, variance } = channelMoments(x, groups);
  const normalize = tf.customGrad(((xs: tf.Tensor, s: tf.Tensor, o: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xs, s, mean, variance]);
    return {
      value: batchNormApply(xs, mean, variance, o, s, epsilon, groups),
      gradFunc: (dy: tf.Tensor, [xSaved, sSaved, m, v]: tf.Tensor[]) => batchNormGrad(dy, xSaved, m, v, sSaved, epsilon, groups),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return { y: normalize(x, scale, offset), mean, variance };
}
