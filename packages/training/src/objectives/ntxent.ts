import type * as tf from '@tensorflow/tfjs-core';
import { createLoss } from '@xclr/losses';
import { checkBatch, type Objective, type ObjectiveOptions, pairSplit, projectPair, withWeightDecay } from './objective.js';

export interface NtXentObjectiveOptions extends ObjectiveOptions {
  /** τ (default 0.1). */
  temperature?: number;
}

/** SimCLR's NT-Xent: each sample's positive is its other view (the identity graph). */
export function ntXentObjective(options: NtXentObjectiveOptions): Objective {
  const { model, temperature = 0.1, weightDecay } = options;
  const loss = createLoss('ntxent', { temperature });
  const variables = model.trainableWeights;
  const lossOf = (zA: tf.Tensor2D, zB: tf.Tensor2D) => withWeightDecay(loss(zA, zB), variables, weightDecay);
  return {
    name: 'ntxent',
    needs: [],
    variables,
    loss: (batch) => {
      checkBatch('ntxent', [], batch);
      const [zA, zB] = projectPair(model, 'ntxent', batch);
      return lossOf(zA, zB);
    },
    embeddingSplit: () => pairSplit(model, 'ntxent', [], lossOf),
    dispose: () => {},
  };
}
