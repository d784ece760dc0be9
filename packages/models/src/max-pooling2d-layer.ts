import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { reluGradient } from './fused-conv2d-gradient.js';
import { isReluOutput, markMaskedGradient } from './relu-masked-gradients.js';
import { tfjsLayerClass } from './tfjs-layer-class.js';

export type MaxPooling2DArgs = Parameters<typeof tfl.layers.maxPooling2d>[0];

type Pair = [number, number];

/**
 * Max pooling of a ReLU output `x` whose gradient masks the *pooled* gradient by the ReLU (where
 * the window's maximum is 0, so is its argmax) before spreading it over the windows: the same
 * values as masking the full-size input gradient afterwards, on a quarter of the elements for 2 × 2
 * windows. The result is marked, so the convolution before skips its own ReLU mask.
 */
export function maxPoolAfterRelu(x: tf.Tensor4D, poolSize: Pair, strides: Pair, pad: 'same' | 'valid'): tf.Tensor4D {
  const attrs = { filterSize: poolSize, strides, pad };
  const pool = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    const y = tf.maxPool(input, poolSize, strides, pad);
    save([input, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, [saved, output]: tf.Tensor[]) => {
        const masked = reluGradient(dy, output);
        const dx = tf.engine().runKernel('MaxPoolGrad', { dy: masked, input: saved, output }, attrs) as tf.Tensor;
        markMaskedGradient(dx, masked);
        return dx;
      },
    };
  });
  return pool(x) as tf.Tensor4D;
}

/** The MaxPooling2D fields read here. */
type PoolingFunction = (inputs: tf.Tensor, poolSize: Pair, strides: Pair, padding: string, dataFormat: string) => tf.Tensor;

let pairedClass: (new (args: MaxPooling2DArgs) => tfl.layers.Layer) | undefined;

function maxPooling2dClass() {
  if (pairedClass != null) return pairedClass;
  const Base = tfjsLayerClass('MaxPooling2D');
  const base = Base.prototype as unknown as { poolingFunction: PoolingFunction };
  pairedClass = class extends Base {
    poolingFunction(inputs: tf.Tensor, poolSize: Pair, strides: Pair, padding: string, dataFormat: string): tf.Tensor {
      const paired =
        isReluOutput(inputs) &&
        inputs.rank === 4 &&
        inputs.dtype === 'float32' &&
        dataFormat === 'channelsLast' &&
        (padding === 'same' || padding === 'valid');
      if (!paired) return base.poolingFunction.call(this, inputs, poolSize, strides, padding, dataFormat);
      return maxPoolAfterRelu(inputs as tf.Tensor4D, poolSize, strides, padding);
    }
  } as unknown as new (
    args: MaxPooling2DArgs,
  ) => tfl.layers.Layer;
  return pairedClass;
}

/**
 * tfjs-layers' 2-D max pooling layer (`tfl.layers.maxPooling2d`: the same arguments, config and
 * class name). Right after this package's `conv2d` with a ReLU, its gradient masks the pooled
 * gradient by the ReLU, and the convolution's gradient skips the mask over its full-size output
 * and takes its bias gradient from the pooled one: the same values, two passes over the
 * convolution's output fewer. Elsewhere it is tfjs-layers' layer.
 */
export function maxPooling2d(args: MaxPooling2DArgs): tfl.layers.Layer {
  return new (maxPooling2dClass())(args);
}
