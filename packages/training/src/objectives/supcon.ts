import type * as tf from '@tensorflow/tfjs-core';
import { createLoss } from '@xclr/losses';
import type { TrainingBatch } from '../batch.js';
import { checkBatch, type Objective, type ObjectiveOptions, pairSplit, projectPair, withWeightDecay } from './objective.js';

export interface SupConObjectiveOptions extends ObjectiveOptions {
  /** τ (default 0.1); the base temperature is the same, as SupContrast trains. */
  temperature?: number;
}

/** SupCon: positives are every sample with the same label (the same-label graph). */
export function supConObjective(options: SupConObjectiveOptions): Objective {
  const { model, temperature = 0.1, weightDecay } = options;
  const loss = createLoss('supcon', { temperature, baseTemperature: temperature });
  const variables = model.trainableWeights;
  const needs = ['labels'] as const;
  const lossOf = (zA: tf.Tensor2D, zB: tf.Tensor2D, batch: TrainingBatch) =>
    withWeightDecay(loss(zA, zB, { labels: batch.labels }), variables, weightDecay);
  return {
    name: 'supcon',
    needs,
    variables,
    loss: (batch) => {
      checkBatch('supcon', needs, batch);
      const [zA, zB] = projectPair(model, 'supcon', batch);
      return lossOf(zA, zB, batch);
    },
    embeddingSplit: () => pairSplit(model, 'supcon', needs, lossOf),
    dispose: () => {},
  };
}
