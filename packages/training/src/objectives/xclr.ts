import type * as tf from '@tensorflow/tfjs-core';
import { createLoss } from '@xclr/losses';
import { asMatrix, type BatchField, batchSize, type TrainingBatch } from '../batch.js';
import { checkBatch, type Objective, type ObjectiveOptions, pairSplit, projectPair, withWeightDecay } from './objective.js';

/** Where X-CLR's per-batch targets come from when the batch does not carry `similarity` itself. */
export interface BatchTargets {
  /** Batch fields `of` reads (e.g. `['labels']` for a class graph, `['indices']` for per-sample captions). */
  needs: readonly BatchField[];
  /** The `[N, N]` target similarity of a batch. */
  of(batch: TrainingBatch): tf.Tensor2D;
}

export interface XclrObjectiveOptions extends ObjectiveOptions {
  /** τ of the embedding logits (default 0.1). */
  temperature?: number;
  /** τ_s of the target softmax over similarities (default 0.1). */
  targetTemperature?: number;
  /** Targets from a class or caption graph; default: `batch.similarity`. */
  targets?: BatchTargets;
}

/** X-CLR: soft targets from a similarity graph over the batch's samples (both views as anchors). */
export function xclrObjective(options: XclrObjectiveOptions): Objective {
  const { model, temperature = 0.1, targetTemperature = 0.1, targets, weightDecay } = options;
  const loss = createLoss('xclr', { temperature, targetTemperature });
  const needs = targets ? targets.needs : (['similarity'] as const);
  const variables = model.trainableWeights;
  const lossOf = (zA: tf.Tensor2D, zB: tf.Tensor2D, batch: TrainingBatch) => {
    const similarity = targets
      ? targets.of(batch)
      : asMatrix(batch.similarity as tf.Tensor2D | Float32Array, batchSize(batch), 'similarity');
    return withWeightDecay(loss(zA, zB, { similarity }), variables, weightDecay);
  };
  return {
    name: 'xclr',
    needs,
    variables,
    loss: (batch) => {
      checkBatch('xclr', needs, batch);
      const [zA, zB] = projectPair(model, 'xclr', batch);
      return lossOf(zA, zB, batch);
    },
    embeddingSplit: () => pairSplit(model, 'xclr', needs, lossOf),
    dispose: () => {},
  };
}
