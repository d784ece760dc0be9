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

/** Whether training runs through batchNormTraining (else tfjs-layers' own code). */
function takesTrainingPath(state: BatchNormalizationState, rank: number): boolean {
  const lastAxis = state.axis === -1 || state.axis === rank - 1;
  return lastAxis && state.center && state.scale && rank >= 2;
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
      const groups = (kwargs.batchGroups as number | undefined) ?? 1;
      if (kwargs.training !== true) return super.call(inputs, kwargs);
      if (!takesTrainingPath(state, x.rank)) {
        if (groups !== 1) {
          throw new Error(
            `batchNormalization: batchGroups ${groups} needs the training path (channels on the last axis, center and scale), ` +
              `got axis ${state.axis} of rank ${x.rank}, center ${state.center}, scale ${state.scale}`,
          );
        }
        return super.call(inputs, kwargs);
      }
      return tf.tidy(() => {
        const gamma = state.gamma.read() as tf.Tensor1D;
        const beta = state.beta.read() as tf.Tensor1D;
        const { y, mean, variance } = batchNormTraining(x, gamma, beta, state.epsilon, groups);
        // one update per group, in order: what one call per group would have done
        const [means, variances] = groups === 1 ? [[mean], [variance]] : [tf.unstack(mean), tf.unstack(variance)];
        for (let g = 0; g < groups; g++) {
          moveAverage(state.movingMean, means[g], state.momentum);
          moveAverage(state.movingVariance, variances[g], state.momentum);
        }
        return y;
      });
    }
  };
  return trainingClass;
}

/**
 * Whether `layer` is this package's batch normalization and normalises groups of a batch in
 * training (`apply(x, { training: true, batchGroups })`): its axis is the last one (of inputs of
 * rank ≥ 2), with center and scale.
 */
export function takesBatchGroups(layer: tfl.layers.Layer): boolean {
  if (trainingClass == null || !(layer instanceof trainingClass)) return false;
  const state = layer as unknown as BatchNormalizationState;
  return state.axis === -1 && state.center && state.scale;
}

/**
 * tfjs-layers' batch normalization layer (`tfl.layers.batchNormalization`, the same arguments,
 * weights and config) whose training step normalises over the last axis with batchNormTraining:
 * the batch statistics in one pass and the gradients in two where `@xclr/kernels` is
 * registered. Other axes, and inference, run tfjs-layers' own code. In training,
 * `apply(x, { training: true, batchGroups: G })` normalises each of G equal groups of the batch
 * (in order) with its own statistics and updates the moving averages group by group: the values,
 * gradients and moving statistics of G calls, one per group, in one (see
 * ContrastiveModel.projectViews).
 */
export function batchNormalization(args: BatchNormalizationArgs = {}): tfl.layers.Layer {
  return new (batchNormalizationClass())(args);
}
