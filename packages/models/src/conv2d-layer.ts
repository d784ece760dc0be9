import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { registerFusedConv2DGradient } from './fused-conv2d-gradient.js';
import { markReluOutput } from './relu-masked-gradients.js';
import { tfjsLayerClass } from './tfjs-layer-class.js';

export type Conv2DArgs = Parameters<typeof tfl.layers.conv2d>[0];

/** The Conv2D fields read here and by pooledConv2d (protected in its type declarations). */
export interface Conv2DState {
  rank: number;
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number[];
  activation: { getClassName(): string };
  kernel: tfl.LayerVariable;
  bias?: tfl.LayerVariable | null;
}

let fusedClass: (new (args: Conv2DArgs) => tfl.layers.Layer) | undefined;

/** This package's Conv2D class (tfjs-layers' own, run as one FusedConv2D kernel), made on first use. */
export function conv2dClass(): new (args: Conv2DArgs) => tfl.layers.Layer {
  if (fusedClass != null) return fusedClass;
  const Base = tfjsLayerClass('Conv2D');
  // tfjs-layers' own class, run as one FusedConv2D kernel (bias and ReLU in the convolution's
  // output pass) also while gradients are recorded, differentiated by registerFusedConv2DGradient.
  fusedClass = class extends Base {
    override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const state = this as unknown as Conv2DState;
      const activation = state.activation.getClassName();
      const fusable =
        state.rank === 2 &&
        state.dataFormat === 'channelsLast' &&
        (state.padding === 'same' || state.padding === 'valid') &&
        state.dilationRate.every((d) => d === 1) &&
        (activation === 'relu' || activation === 'linear') &&
        x.rank === 4 &&
        x.dtype === 'float32';
      if (!fusable) return super.call(inputs, kwargs);
      registerFusedConv2DGradient();
      const bias = state.bias?.read();
      const attrs = {
        strides: state.strides,
        pad: state.padding,
        dataFormat: 'NHWC',
        dilations: [1, 1],
        activation,
      };
      const kernelInputs: tf.NamedTensorMap = { x, filter: state.kernel.read() };
      if (bias != null) kernelInputs.bias = bias;
      const y = tf.engine().runKernel('FusedConv2D', kernelInputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
      if (activation === 'relu') markReluOutput(y);
      return y;
    }
  };
  return fusedClass;
}

/**
 * tfjs-layers' 2-D convolution layer (`tfl.layers.conv2d`: the same arguments, weights and
 * config) that runs as one FusedConv2D kernel, bias and ReLU included, also in training (where
 * tf.fused.conv2d splits them into three kernels), and computes an input gradient only where one
 * is needed (not for a first layer). Other activations, data formats and dilations run
 * tfjs-layers' own code.
 */
export function conv2d(args: Conv2DArgs): tfl.layers.Layer {
  return new (conv2dClass())(args);
}
