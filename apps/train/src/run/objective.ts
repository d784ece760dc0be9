import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Batch } from '@xclr/data';
import { batchSimilarityFromClasses } from '@xclr/graph';
import { ntXentLoss, supConLoss, xclrLoss } from '@xclr/losses';
import type { ContrastiveModel } from '@xclr/models';
import type { RunConfig } from '../config/schema.js';

export interface Objective {
  /** The loss of one batch, for trainStep (tensors it makes are tidied by the step). */
  loss(batch: Batch): () => tf.Scalar;
  variables: tf.Variable[];
}

/** L2 penalty on kernels (not biases or batch-norm parameters), as decoupled weight decay is not in tfjs's Adam. */
function l2(variables: tf.Variable[], weightDecay: number): tf.Scalar {
  const kernels = variables.filter((v) => v.rank >= 2);
  if (weightDecay === 0 || kernels.length === 0) return tf.scalar(0);
  return tf.mul(tf.addN(kernels.map((v) => tf.sum(tf.square(v)))), weightDecay / 2) as tf.Scalar;
}

/**
 * Wires a config's loss to the model: X-CLR with the class-description graph, NT-Xent, SupCon, or
 * supervised cross-entropy through a linear classifier on the backbone.
 */
export function createObjective(
  config: RunConfig,
  model: ContrastiveModel,
  classGraph: { similarity: Float32Array; numClasses: number } | null,
  classifier: tfl.LayersModel | null,
): Objective {
  const { type, temperature, targetTemperature } = config.loss;
  const wd = config.train.weightDecay;
  const variables = [...model.trainableWeights, ...(classifier?.trainableWeights.map((w) => w.read() as tf.Variable) ?? [])];
  return {
    variables,
    loss: (batch) => () => {
      const labels = batch.labels;
      if (!labels && type !== 'ntxent') throw new Error(`loss ${type} needs labels; ${config.data.dataset} has none`);
      let main: tf.Scalar;
      if (type === 'supervised') {
        const logits = (classifier as tfl.LayersModel).apply(model.encoder.apply(batch.views[0], { training: true }), { training: true }) as tf.Tensor2D;
        main = tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels!, 'int32'), logits.shape[1]), logits) as tf.Scalar;
      } else {
        const zA = model.project(batch.views[0]);
        const zB = model.project(batch.views[1]);
        if (type === 'xclr') {
          if (!classGraph) throw new Error('xclr needs a similarity graph');
          const similarity = batchSimilarityFromClasses(classGraph.similarity, classGraph.numClasses, labels!);
          main = xclrLoss(zA, zB, similarity, { temperature, targetTemperature });
        } else if (type === 'supcon') {
          main = supConLoss(zA, zB, tf.tensor1d(labels!, 'int32'), { temperature, baseTemperature: temperature });
        } else {
          main = ntXentLoss(zA, zB, { temperature });
        }
      }
      return tf.add(main, l2(variables, wd)) as tf.Scalar;
    },
  };
}
