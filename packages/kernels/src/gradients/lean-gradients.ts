import * as tf from '@tensorflow/tfjs-core';
import { RELU_GRAD } from '../ops/relu-grad.js';

// Leaner gradients for three kernels every batch-normalised network runs, numerically the same as
// tfjs-core's (tested against them). tfjs-core's Mean and Sum gradients multiply dy by a tensor of
// ones of the input's shape, built in JavaScript and copied onto the backend, twice per
// batch-norm layer (tf.moments) and slowly on wasm (timings: packages/kernels/README.md).
// Broadcasting dy (a Tile) writes the same result without the ones. tfjs-core's FusedBatchNorm
// gradient makes about nine full-size temporaries (a Tile of 1/σ, separate products for each
// input); here the mean, variance, scale and offset gradients share two per-channel sums, and dx
// is one product.

const LEAN = ['Mean', 'Sum', 'FusedBatchNorm', 'Relu'] as const;

function expandedShape(x: tf.Tensor, axis: unknown): { shape: number[]; size: number } {
  const axes = tf.util.parseAxisParam(axis as number | number[], x.shape);
  return {
    shape: x.shape.map((d, i) => (axes.includes(i) ? 1 : d)),
    size: axes.reduce((n, a) => n * x.shape[a], 1),
  };
}

function broadcastBack(dy: tf.Tensor, x: tf.Tensor, axis: unknown, divisor: 'mean' | 'sum'): tf.Tensor {
  const { shape, size } = expandedShape(x, axis);
  let g = tf.reshape(tf.cast(dy, 'float32'), shape);
  if (divisor === 'mean') g = tf.div(g, size);
  return tf.broadcastTo(g, x.shape);
}

/**
 * Replaces tfjs-core's Mean, Sum and FusedBatchNorm gradients (a global registry: every backend
 * gets them) with the leaner ones above. Returns the kernel names.
 */
export function registerLeanGradients(): readonly string[] {
  tf.registerGradient({
    kernelName: 'Mean',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => ({ x: () => broadcastBack(dy as tf.Tensor, saved[0], attrs.axis, 'mean') }),
  });
  tf.registerGradient({
    kernelName: 'Sum',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => ({ x: () => broadcastBack(dy as tf.Tensor, saved[0], attrs.axis, 'sum') }),
  });
  tf.registerGradient({
    kernelName: 'FusedBatchNorm',
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy0, saved, attrs) => {
      const dy = dy0 as tf.Tensor;
      const [x, mean, variance, scale] = saved;
      const epsilon = attrs.varianceEpsilon as number;
      // y = (x − mean) · r · γ + β with r = (variance + ε)^−½: per-channel values below have the
      // statistics' shape; sums run over the axes they were broadcast along.
      const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
      const reduce = (t: tf.Tensor) => tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, mean.shape);
      const r = tf.rsqrt(tf.add(variance, epsilon));
      const gamma = scale ?? tf.scalar(1);
      const w = tf.mul(r, gamma);
      const [sumDy, sumDyXm] = tf.tidy(() => [reduce(dy), reduce(tf.mul(dy, tf.sub(x, mean)))]);
      return {
        x: () => tf.mul(dy, w),
        mean: () => tf.neg(tf.mul(sumDy, w)),
        variance: () => tf.mul(sumDyXm, tf.mul(gamma, tf.mul(tf.pow(r, 3), -0.5))),
        scale: () => tf.mul(sumDyXm, r),
        offset: () => sumDy,
      };
    },
  });
  // ReLU's gradient is dy · cast(step(x)): three passes over every activation. Where the active
  // backend has the one-pass kernel (wasm, with this package's kernels), it runs instead. That
  // kernel has no gradient of its own: a second derivative through ReLU takes the stock path.
  // Backpropagation inside a recording tape (tf.grad of a gradient) must stay differentiable.
  // It reads ReLU's output y, not its input (y > 0 exactly where x > 0): the output is what the
  // next layer saves anyway, so a network's ReLU inputs (batch norm outputs, say) need not outlive
  // the forward pass.
  const secondOrder = () => (tf.engine().state as unknown as { gradientDepth: number }).gradientDepth > 0;
  const stockRelu = (dy: tf.Tensor, y: tf.Tensor) => tf.mul(dy, tf.cast(tf.step(y), 'float32'));
  tf.registerGradient({
    kernelName: 'Relu',
    outputsToSave: [true],
    gradFunc: (dy0, saved) => {
      const dy = dy0 as tf.Tensor;
      const [y] = saved;
      const fused = y.dtype === 'float32' && dy.dtype === 'float32' && tf.getKernel(RELU_GRAD, tf.getBackend()) != null;
      return {
        x: () => (fused && !secondOrder() ? (tf.engine().runKernel(RELU_GRAD, { dy, x: y }) as tf.Tensor) : stockRelu(dy, y)),
      };
    },
  });
  return LEAN;
}
