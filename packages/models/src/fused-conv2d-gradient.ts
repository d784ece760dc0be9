import * as tf from '@tensorflow/tfjs-core';
import { maskedGradient } from './relu-masked-gradients.js';

const ACTIVATIONS = ['linear', 'relu'];

/** ReLU's input gradient from its output y (y > 0 exactly where the input was), by the registered Relu gradient. */
export function reluGradient(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  const relu = tf.getGradient('Relu');
  if (relu == null) throw new Error('@xclr/models: no gradient is registered for Relu (import @tensorflow/tfjs-layers or tfjs)');
  return (relu.gradFunc(dy, [y], {}) as Record<string, () => tf.Tensor>).x();
}

/**
 * Registers a gradient for tfjs's FusedConv2D kernel (a bias and a linear or ReLU activation)
 * unless one is registered. tfjs-core has none: tf.fused.conv2d runs a ReLU unfused whenever
 * gradients are recorded (a Conv2D, a bias Add, a Relu: two more passes over the output), and
 * wraps the linear case in a customGrad that computes the input gradient even for a first layer.
 * This one composes the registered Relu and Conv2D gradients, so each backend runs the kernels it
 * has for them, and leaves each input's gradient to be computed only when it is needed.
 */
export function registerFusedConv2DGradient(): void {
  if (tf.getGradient('FusedConv2D') != null) return;
  tf.registerGradient({
    kernelName: 'FusedConv2D',
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter, y] = saved;
      const activation = attrs.activation as string;
      if (!ACTIVATIONS.includes(activation)) {
        throw new Error(
          `@xclr/models: the FusedConv2D gradient supports activations ${ACTIVATIONS.join(', ')}, got "${activation}"`,
        );
      }
      // A max pool's gradient right after the ReLU may have masked it already (maxPooling2d);
      // then the pooled gradient has the same per-channel sums, on fewer elements.
      const masked = activation === 'relu' ? maskedGradient(dy as tf.Tensor) : null;
      const dz = activation === 'relu' && masked == null ? reluGradient(dy as tf.Tensor, y) : (dy as tf.Tensor);
      const conv = tf.getGradient('Conv2D')?.gradFunc(dz, [x, filter], attrs) as Record<string, () => tf.Tensor>;
      const sums = masked instanceof tf.Tensor ? masked : dz;
      return { x: conv.x, filter: conv.filter, bias: () => tf.sum(sums, [0, 1, 2]) };
    },
  });
}
