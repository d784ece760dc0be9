import type * as tf from '@tensorflow/tfjs-core';
import { createLoss } from '@xclr/losses';
import { asMatrix, type BatchField, batchSize, type TrainingBatch } from '../batch.js';
import { createQueue, type QueueOptions, queueMembers } from './memory-queue.js';
import { checkBatch, type Objective, type ObjectiveOptions, pairSplit, projectPair, withWeightDecay } from './objective.js';

/** Where X-CLR's per-batch targets come from when the batch does not carry `similarity` itself. */
export interface BatchTargets {
  /** Batch fields `of` reads (e.g. `['labels']` for a class graph, `['indices']` for per-sample captions). */
  needs: readonly BatchField[];
  /** The `[N, N]` target similarity of a batch. */
  of(batch: TrainingBatch): tf.Tensor2D;
  /**
   * With a memory queue: the batch field that identifies a sample to `between` (`'indices'` for a
   * caption graph, `'labels'` for a class graph); each queue entry keeps its value.
   */
  key?: 'indices' | 'labels';
  /** With a memory queue: the `[A, B]` similarity of samples by key (the batch's × the queue entries'), on `of`'s graph. */
  between?(keysA: Int32Array, keysB: Int32Array): tf.Tensor2D;
}

export interface XclrObjectiveOptions extends ObjectiveOptions {
  /** τ of the embedding logits (default 0.1). */
  temperature?: number;
  /** τ_s of the target softmax over similarities (default 0.1). */
  targetTemperature?: number;
  /** Targets from a class or caption graph; default: `batch.similarity`. */
  targets?: BatchTargets;
  /**
   * A memory queue of the last `size` embeddings: each entry a candidate with its own soft target,
   * from `targets.between` (so `targets` needs `key` and `between`).
   */
  queue?: QueueOptions;
}

/** X-CLR: soft targets from a similarity graph over the batch's samples (both views as anchors). */
export function xclrObjective(options: XclrObjectiveOptions): Objective {
  const { model, temperature = 0.1, targetTemperature = 0.1, targets, weightDecay } = options;
  const loss = createLoss('xclr', { temperature, targetTemperature });
  const key = options.queue?.size ? targets?.key : undefined;
  if (options.queue?.size && !(key && targets?.between))
    throw new Error(
      "objective xclr: a queue needs targets with key ('indices' or 'labels') and between(keysA, keysB), the similarity of the batch's samples to the queue's entries",
    );
  const queue = createQueue('xclr', options.queue, model, key ?? null, options.seed);
  const needs = targets ? [...new Set([...targets.needs, ...(key ? [key] : [])])] : (['similarity'] as const);
  const variables = model.trainableWeights;
  const lossOf = (zA: tf.Tensor2D, zB: tf.Tensor2D, batch: TrainingBatch) => {
    const similarity = targets
      ? targets.of(batch)
      : asMatrix(batch.similarity as tf.Tensor2D | Float32Array, batchSize(batch), 'similarity');
    const entries = queue?.forBatch(batch, zB);
    const context = entries
      ? {
          similarity,
          queue: { embeddings: entries.embeddings, similarity: targets?.between?.(queue!.keysOf(batch), entries.keys) },
        }
      : { similarity };
    return withWeightDecay(loss(zA, zB, context), variables, weightDecay);
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
    ...queueMembers(queue),
    dispose: () => queue?.dispose(),
  };
}
