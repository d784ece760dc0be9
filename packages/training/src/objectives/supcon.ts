import type * as tf from '@tensorflow/tfjs-core';
import { createLoss } from '@xclr/losses';
import type { TrainingBatch } from '../batch.js';
import { createQueue, type QueueOptions, queueMembers } from './memory-queue.js';
import { checkBatch, type Objective, type ObjectiveOptions, pairSplit, projectPair, withWeightDecay } from './objective.js';

export interface SupConObjectiveOptions extends ObjectiveOptions {
  /** τ (default 0.1); the base temperature is the same, as SupContrast trains. */
  temperature?: number;
  /** A memory queue of the last `size` embeddings with their labels: positives where the label is the anchor's. */
  queue?: QueueOptions;
}

/** SupCon: positives are every sample with the same label (the same-label graph). */
export function supConObjective(options: SupConObjectiveOptions): Objective {
  const { model, temperature = 0.1, weightDecay } = options;
  const loss = createLoss('supcon', { temperature, baseTemperature: temperature });
  const variables = model.trainableWeights;
  const needs = ['labels'] as const;
  const queue = createQueue('supcon', options.queue, model, 'labels', options.seed);
  const lossOf = (zA: tf.Tensor2D, zB: tf.Tensor2D, batch: TrainingBatch) => {
    const entries = queue?.forBatch(batch, zB);
    const context = entries
      ? { labels: batch.labels, queue: { embeddings: entries.embeddings, labels: entries.keys } }
      : { labels: batch.labels };
    return withWeightDecay(loss(zA, zB, context), variables, weightDecay);
  };
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
    ...queueMembers(queue),
    dispose: () => queue?.dispose(),
  };
}
