import type * as tf from '@tensorflow/tfjs-core';
import { type BarlowTwinsLossOptions, createLoss } from '@xclr/losses';
import type { BatchField, TrainingBatch } from '../batch.js';
import { checkBatch, type Objective, type ObjectiveOptions, pairSplit, projectPair, withWeightDecay } from './objective.js';
import type { BatchTargets } from './xclr.js';

export interface BarlowObjectiveOptions extends ObjectiveOptions, BarlowTwinsLossOptions {
  /**
   * A sample graph per batch (e.g. a class-description graph by labels): trains Barlow Twins'
   * graph form (`barlow-graph`, "X-Barlow"), the cross-correlation of each sample's view A with
   * its related samples' views B. Default: standard Barlow Twins.
   */
  targets?: BatchTargets;
  /** τ_s of the graph form: G is the row softmax of the targets' similarity / τ_s, as X-CLR's (default 0.1). */
  targetTemperature?: number;
}

/** Barlow Twins (Zbontar et al., 2021) of both views' projections; its graph form when given `targets`. */
export function barlowObjective(options: BarlowObjectiveOptions): Objective {
  const { model, targets, targetTemperature = 0.1, redundancyWeight, epsilon, weightDecay } = options;
  const loss = targets
    ? createLoss('barlow-graph', { redundancyWeight, epsilon, targetTemperature })
    : createLoss('barlow', { redundancyWeight, epsilon });
  const needs: readonly BatchField[] = targets ? targets.needs : [];
  const variables = model.trainableWeights;
  const lossOf = (zA: tf.Tensor2D, zB: tf.Tensor2D, batch: TrainingBatch) =>
    withWeightDecay(loss(zA, zB, targets ? { similarity: targets.of(batch) } : {}), variables, weightDecay);
  return {
    name: 'barlow',
    needs,
    variables,
    loss: (batch) => {
      checkBatch('barlow', needs, batch);
      const [zA, zB] = projectPair(model, 'barlow', batch);
      return lossOf(zA, zB, batch);
    },
    embeddingSplit: () => pairSplit(model, 'barlow', needs, lossOf),
    dispose: () => {},
  };
}
