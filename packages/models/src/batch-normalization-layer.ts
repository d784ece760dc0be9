import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { batchNormTraining } from './batch-norm-training.js';
import { tfjsLayerClass } from './tfjs-layer-class.js';

export type BatchNormalizationArgs = NonNullable<Parameters<typeof tfl.layers.batchNormalization>[0]>;

/** The BatchNormalization fields read here (private in its type declarations). */
interface BatchNormalizationState {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tfl.LayerVariable;
  beta: tfl.LayerVariable;
  movingMean: tfl.LayerVariable;
  movingVariance: tfl.LayerVariable;
}

/** `variable` ← variable − (variable − value) · (1 − momentum), tfjs-layers' moving average. */
function moveAverage(variable: tfl.LayerVariable, value: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const current = variable.read();
    variable.write(tf.sub(current, tf.mul(tf.sub(current, value), 1 - momentum)));
  });
}

let trainingClass: (new (args: BatchNormalizationArgs) => tfl.layers.Layer) | undefined;

function batchNormalizationClass() {
  if (trainingClass != null) return trainingClass;
  const Base = tfjsLayerClass('BatchNormalization');
  // tfjs-layers' own class, with training over the last axis through batchNormTraining: the same
  // weights, config, class name and outputs (serialised and loaded as a BatchNormalization).
  trainingClass = class extends Base {
    override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const state = this as unknown as BatchNormalizationState;
      const lastAxis = state.axis === -1 || state.axis === x.rank - 1;
      if (kwargs.training !== true || !lastAxis || !state.center || !state.scale || x.rank < 2) {
        return super.call(inputs, kwargs);
      }
      return tf.tidy(() => {
        const gamma = state.gamma.read() as tf.Tensor1D;
        const beta = state.beta.read() as tf.Tensor1D;
        const { y, mean, variance } = batchNormTraining(x, gamma, beta, state.epsilon);
        moveAverage(state.movingMean, mean, state.momentum);
        moveAverage(state.movingVariance, variance, state.momentum);
        return y;
      });
    }
  };
  return trainingClass;
}

/**
 * tfjs-layers' batch normalization layer (`tfl.layers.batchNormalization`, the same arguments,
 * weights and config) whose training step normalises over the last axis with batchNormTraining:
 * the batch statistics in one pass and the gradients in two where `@xclr/kernels` is
 * registered. Other axes, and inference, run tfjs-layers' own code.
 */
export function batchNormalization(args: BatchNormalizationArgs = {}): tfl.layers.Layer {
  return new (batchNormalizationClass())(args);
}
