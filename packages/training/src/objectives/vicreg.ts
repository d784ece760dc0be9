import type * as tf from '@tensorflow/tfjs-core';
import { createLoss, type VicregLossOptions } from '@xclr/losses';
import type { BatchField, TrainingBatch } from '../batch.js';
import { checkBatch, type Objective, type ObjectiveOptions, pairSplit, projectPair, withWeightDecay } from './objective.js';
import type { BatchTargets } from './xclr.js';

export interface VicregObjectiveOptions extends ObjectiveOptions, VicregLossOptions {
  /**
   * A sample graph per batch (e.g. a class-description graph by labels): trains VICReg's graph
   * form (`vicreg-graph`, "X-VICReg"), whose invariance term pulls together the views of related
   * samples. Default: standard VICReg, each sample paired with its other view only.
   */
  targets?: BatchTargets;
  /** τ_s of the graph form: G is the row softmax of the targets' similarity / τ_s, as X-CLR's (default 0.1). */
  targetTemperature?: number;
}

/** VICReg (Bardes et al., 2022) of both views' projections; its graph form when given `targets`. */
export function vicregObjective(options: VicregObjectiveOptions): Objective {
  const { model, targets, targetTemperature = 0.1, weightDecay } = options;
  const { invarianceWeight, varianceWeight, covarianceWeight, varianceTarget, epsilon } = options;
  const weights = { invarianceWeight, varianceWeight, covarianceWeight, varianceTarget, epsilon };
  const loss = targets ? createLoss('vicreg-graph', { ...weights, targetTemperature }) : createLoss('vicreg', weights);
  const needs: readonly BatchField[] = targets ? targets.needs : [];
  const variables = model.trainableWeights;
  const lossOf = (zA: tf.Tensor2D, zB: tf.Tensor2D, batch: TrainingBatch) =>
    withWeightDecay(loss(zA, zB, targets ? { similarity: targets.of(batch) } : {}), variables, weightDecay);
  return {
    name: 'vicreg',
    needs,
    variables,
    loss: (batch) => {
      checkBatch('vicreg', needs, batch);
      const [zA, zB] = projectPair(model, 'vicreg', batch);
      return lossOf(zA, zB, batch);
    },
    embeddingSplit: () => pairSplit(model, 'vicreg', needs, lossOf),
    dispose: () => {},
  };
}
