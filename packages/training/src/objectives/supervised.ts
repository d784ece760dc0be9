import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { TrainingBatch } from '../batch.js';
import { checkBatch, encoderCut, type Objective, type ObjectiveOptions, withWeightDecay } from './objective.js';

export interface SupervisedObjectiveOptions extends ObjectiveOptions {
  numClasses: number;
}

/** Cross-entropy through a linear classifier on the backbone, from the first view (the usual baseline). */
export function supervisedObjective(options: SupervisedObjectiveOptions): Objective {
  const { model, numClasses, weightDecay, seed } = options;
  if (!Number.isInteger(numClasses) || numClasses < 2)
    throw new Error(`objective supervised: numClasses must be an integer ≥ 2, got ${numClasses}`);
  const width = model.encoder.outputs[0].shape[1] as number;
  const classifier = tfl.sequential({
    layers: [
      tfl.layers.dense({
        inputShape: [width],
        units: numClasses,
        kernelInitializer: tfl.initializers.glorotUniform({ seed }),
      }),
    ],
  });
  const variables = [...model.trainableWeights, ...classifier.trainableWeights.map((w) => w.read() as tf.Variable)];
  const needs = ['labels'] as const;
  const lossOf = (features: tf.Tensor2D, batch: TrainingBatch) => {
    const logits = classifier.apply(features, { training: true }) as tf.Tensor2D;
    const onehot = tf.oneHot(tf.tensor1d(batch.labels as Int32Array, 'int32'), numClasses);
    return withWeightDecay(tf.losses.softmaxCrossEntropy(onehot, logits) as tf.Scalar, variables, weightDecay);
  };
  return {
    name: 'supervised',
    needs,
    variables,
    loss: (batch) => {
      checkBatch('supervised', needs, batch);
      return lossOf(model.encoder.apply(batch.views[0], { training: true }) as tf.Tensor2D, batch);
    },
    embeddingSplit: () => {
      const { embed } = encoderCut(model, 'supervised');
      return {
        inputs: (batch) => {
          checkBatch('supervised', needs, batch);
          return [batch.views[0]];
        },
        embed,
        lossOfEmbeddings: ([features], batch) => lossOf(features, batch),
      };
    },
    dispose: () => classifier.dispose(),
  };
}
