import * as tf from '@tensorflow/tfjs-core';
import type { ContrastiveModel } from '@xclr/models';
import { BATCH_FIELD_SHAPES, type BatchField, type TrainingBatch } from '../batch.js';

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
  metrics?(): Record<string, number>;
  /** CLIP: text embeddings of captions (or of frozen caption embedding rows) for retrieval. */
  embedText?(captions: readonly string[], rows: Float32Array | null): tf.Tensor2D;
  /** Disposes the objective's own variables (not the model's). */
  dispose(): void;
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
  return tf.mul(tf.addN(kernels.map((v) => tf.sum(tf.square(v)))), weightDecay / 2) as tf.Scalar;
}

/** `main` plus the weight-decay penalty over `variables`. */
export function withWeightDecay(main: tf.Scalar, variables: tf.Variable[], weightDecay = 0): tf.Scalar {
  const penalty = kernelPenalty(variables, weightDecay);
  return penalty ? (tf.add(main, penalty) as tf.Scalar) : main;
}

/** Both views' projections, checked to be a pair. */
export function projectPair(model: ContrastiveModel, objective: string, batch: TrainingBatch): [tf.Tensor2D, tf.Tensor2D] {
  if (batch.views.length !== 2) throw new Error(`objective ${objective}: needs two views per batch, got ${batch.views.length}`);
  return model.projectViews(batch.views[0] as tf.Tensor4D, batch.views[1] as tf.Tensor4D);
}
