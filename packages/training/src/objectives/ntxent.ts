import type * as tf from '@tensorflow/tfjs-core';
import { createLoss } from '@xclr/losses';
import type { TrainingBatch } from '../batch.js';
import { createQueue, type QueueOptions, queueMembers } from './memory-queue.js';
import { checkBatch, type Objective, type ObjectiveOptions, pairSplit, projectPair, withWeightDecay } from './objective.js';

export interface NtXentObjectiveOptions extends ObjectiveOptions {
  /** τ (default 0.1). */
  temperature?: number;
  /** A memory queue of the last `size` embeddings, all negatives (MoCo). */
  queue?: QueueOptions;
}

/** SimCLR's NT-Xent: each sample's positive is its other view (the identity graph). */
export function ntXentObjective(options: NtXentObjectiveOptions): Objective {
  const { model, temperature = 0.1, weightDecay } = options;
  const loss = createLoss('ntxent', { temperature });
  const variables = model.trainableWeights;
  const queue = createQueue('ntxent', options.queue, model, null, options.seed);
  const lossOf = (zA: tf.Tensor2D, zB: tf.Tensor2D, batch: TrainingBatch) => {
    const entries = queue?.forBatch(batch, zB);
    return withWeightDecay(loss(zA, zB, entries ? { queue: { embeddings: entries.embeddings } } : {}), variables, weightDecay);
  };
  return {
    name: 'ntxent',
    needs: [],
    variables,
    loss: (batch) => {
      checkBatch('ntxent', [], batch);
      const [zA, zB] = projectPair(model, 'ntxent', batch);
      return lossOf(zA, zB, batch);
    },
    embeddingSplit: () => pairSplit(model, 'ntxent', [], lossOf),
    ...queueMembers(queue),
    dispose: () => queue?.dispose(),
  };
}
