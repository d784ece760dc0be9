import * as tf from '@tensorflow/tfjs-core';
import { type ContrastiveModel, isBatchDependent } from '@xclr/models';
import { BATCH_FIELD_SHAPES, type BatchField, type TrainingBatch } from '../batch.js';
import type { ObjectiveState } from './memory-queue.js';

/**
 * What a training run minimises: the loss of a batch for the model (and any variables of its
 * own: CLIP's text tower and logit scale, the supervised classifier), with what it needs from a
 * batch declared up front.
 */
export interface Objective {
  readonly name: string;
  /** Batch fields besides `views` that `loss` reads. */
  readonly needs: readonly BatchField[];
  /** Every trained variable, in checkpoint order: the model's, then the objective's own. */
  readonly variables: tf.Variable[];
  /** The loss of one batch; called inside the step's gradient tape. */
  loss(batch: TrainingBatch): tf.Scalar;
  /** After each optimiser step (CLIP clamps its logit scale there, as OpenCLIP does). */
  afterStep?(): void;
  /** Values worth logging with the loss (e.g. CLIP's logit scale); read back every log step only. */
  metrics?(): Record<string, number> | Promise<Record<string, number>>;
  /** CLIP: text embeddings of captions (or of frozen caption embedding rows) for retrieval. */
  embedText?(captions: readonly string[], rows: Float32Array | null): tf.Tensor2D;
  /**
   * The loss cut at per-sample embeddings, for gradient caching (`fit`'s `chunkSize`); throws
   * where chunks would change the loss (an encoder with batch norm). Absent: no chunking.
   */
  embeddingSplit?(): EmbeddingSplit;
  /**
   * State besides `variables` that an exact resume needs (a memory queue, a momentum encoder),
   * saved in every checkpoint: new tensors the caller disposes.
   */
  saveState?(): ObjectiveState;
  /** Restores `saveState`'s state from a checkpoint (the tensors stay the caller's). */
  loadState?(state: ObjectiveState): void;
  /** Disposes the objective's own variables (not the model's). */
  dispose(): void;
}

/**
 * An objective's loss as a function of per-sample embeddings: `loss(batch)` equals
 * `lossOfEmbeddings(inputs(batch).map(embed), batch)`, and a row's embedding depends on that row
 * alone, so `embed` may run on any chunk of rows with the same result.
 */
export interface EmbeddingSplit {
  /** The `[N, …]` inputs of a batch that `embed` maps (e.g. both views); checks the batch. */
  inputs(batch: TrainingBatch): tf.Tensor[];
  /** Training-mode embeddings `[n, D]` of `n` rows of one input. */
  embed(rows: tf.Tensor): tf.Tensor2D;
  /** The batch's loss, weight decay included, from the embeddings of `inputs(batch)` in order. */
  lossOfEmbeddings(embeddings: tf.Tensor2D[], batch: TrainingBatch): tf.Scalar;
}

/** Options every objective takes. */
export interface ObjectiveOptions {
  model: ContrastiveModel;
  /** L2 penalty on kernels (rank ≥ 2), not biases or batch-norm parameters (default 0). */
  weightDecay?: number;
  /** Seeds the objective's own layers (CLIP's text tower, the supervised classifier). */
  seed?: number;
}

/** Throws a clear error when a batch lacks a field the objective reads. */
export function checkBatch(objective: string, needs: readonly BatchField[], batch: TrainingBatch): void {
  if (!Array.isArray(batch.views) || batch.views.length === 0)
    throw new Error(`objective ${objective}: batch.views must hold the [N, H, W, C] views of the batch`);
  for (const field of needs) {
    if (batch[field] == null)
      throw new Error(`objective ${objective} needs batch.${field}: ${BATCH_FIELD_SHAPES[field]}; this batch has none`);
  }
}

/** L2 penalty on kernels, as tfjs's Adam has no decoupled weight decay. */
export function kernelPenalty(variables: tf.Variable[], weightDecay: number): tf.Scalar | null {
  const kernels = variables.filter((v) => v.rank >= 2);
  if (!(weightDecay > 0) || kernels.length === 0) return null;
  // A running sum, not addN: webgpu binds each addN input as a buffer, and a ResNet has 21 kernels.
  const squares = kernels.map((v) => tf.sum(tf.square(v)) as tf.Scalar).reduce((total, x) => tf.add(total, x));
  return tf.mul(squares, weightDecay / 2) as tf.Scalar;
}

/** `main` plus the weight-decay penalty over `variables`. */
export function withWeightDecay(main: tf.Scalar, variables: tf.Variable[], weightDecay = 0): tf.Scalar {
  const penalty = kernelPenalty(variables, weightDecay);
  return penalty ? (tf.add(main, penalty) as tf.Scalar) : main;
}

function checkPair(objective: string, batch: TrainingBatch): void {
  if (batch.views.length !== 2) throw new Error(`objective ${objective}: needs two views per batch, got ${batch.views.length}`);
}

/** Both views' projections, checked to be a pair. */
export function projectPair(model: ContrastiveModel, objective: string, batch: TrainingBatch): [tf.Tensor2D, tf.Tensor2D] {
  checkPair(objective, batch);
  return model.projectViews(batch.views[0] as tf.Tensor4D, batch.views[1] as tf.Tensor4D);
}

/**
 * The model cut for gradient caching: the encoder runs on chunks of rows; the projection head,
 * whose batch norm needs every row of a view, runs after it on the view's full `[N, width]`
 * features, one view at a time (the statistics `projectViews` gives each view, in one pass or two).
 */
export function encoderCut(
  model: ContrastiveModel,
  objective: string,
): { embed: (rows: tf.Tensor) => tf.Tensor2D; head: (features: tf.Tensor2D) => tf.Tensor2D } {
  if (isBatchDependent(model.encoder))
    throw new Error(
      `objective ${objective}: chunkSize needs an encoder whose output for a sample does not depend on the rest of the batch, ` +
        `but encoder "${model.config.encoder.type}" has batch normalization, whose statistics would be per chunk: ` +
        'train it without chunkSize, or with an encoder without batch norm (mlp, convnet)',
    );
  const { head } = model;
  return {
    embed: (rows) => model.encoder.apply(rows, { training: true }) as tf.Tensor2D,
    head: (features) => (head ? (head.apply(features, { training: true }) as tf.Tensor2D) : features),
  };
}

/** The split of a two-view objective whose loss is `lossOf` both views' projections. */
export function pairSplit(
  model: ContrastiveModel,
  objective: string,
  needs: readonly BatchField[],
  lossOf: (zA: tf.Tensor2D, zB: tf.Tensor2D, batch: TrainingBatch) => tf.Scalar,
): EmbeddingSplit {
  const { embed, head } = encoderCut(model, objective);
  return {
    inputs: (batch) => {
      checkBatch(objective, needs, batch);
      checkPair(objective, batch);
      return batch.views;
    },
    embed,
    lossOfEmbeddings: ([a, b], batch) => lossOf(head(a), head(b), batch),
  };
}
