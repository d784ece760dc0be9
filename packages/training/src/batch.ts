import * as tf from '@tensorflow/tfjs-core';

/**
 * One training batch, as the objectives read it. `@xclr/data`'s loaders yield this shape; any
 * source of your own can too. Only `views` is always needed; each objective declares which of
 * the other fields it reads (see `Objective.needs`) and fails with a clear error when one is absent.
 */
export interface TrainingBatch {
  /** Augmented views of the same N samples, float32 `[N, H, W, C]` each (two for contrastive losses). */
  views: tf.Tensor[];
  /** Class index per sample (SupCon, supervised, X-CLR with a class graph). */
  labels?: Int32Array;
  /** Dataset index per sample (per-sample caption graphs are looked up by it). */
  indices?: Int32Array;
  /** Caption per sample (CLIP's word-level text tower). */
  captions?: readonly string[];
  /** X-CLR's `[N, N]` target similarity of the batch's samples (tensor or row-major floats). */
  similarity?: tf.Tensor2D | Float32Array;
  /** Frozen caption embeddings, `[N, dim]` (CLIP's LiT-style projection tower). */
  captionEmbeddings?: tf.Tensor2D | Float32Array;
}

/** The optional batch fields an objective can need. */
export type BatchField = 'labels' | 'indices' | 'captions' | 'similarity' | 'captionEmbeddings';

/** What each field must hold, for error messages. */
export const BATCH_FIELD_SHAPES: Record<BatchField, string> = {
  labels: 'an Int32Array of N class indices',
  indices: 'an Int32Array of N dataset indices',
  captions: 'N caption strings',
  similarity: 'the [N, N] target similarity of the batch (tensor or Float32Array of N × N)',
  captionEmbeddings: 'the [N, dim] caption embeddings of the batch (tensor or Float32Array)',
};

/** The number of samples in a batch (rows of its first view). */
export function batchSize(batch: TrainingBatch): number {
  const first = batch.views[0];
  if (!first) throw new Error('batch has no views: expected batch.views = [viewA, viewB] of [N, H, W, C] tensors');
  return first.shape[0];
}

/** `[rows, cols]` tensor from a tensor or row-major floats (a new tensor the caller's tidy owns). */
export function asMatrix(value: tf.Tensor2D | Float32Array, rows: number, field: BatchField): tf.Tensor2D {
  if (value instanceof tf.Tensor) {
    if (value.rank !== 2 || value.shape[0] !== rows)
      throw new Error(`batch.${field}: expected ${BATCH_FIELD_SHAPES[field]} with N = ${rows}, got shape [${value.shape}]`);
    return value;
  }
  if (value.length % rows !== 0)
    throw new Error(`batch.${field}: expected ${BATCH_FIELD_SHAPES[field]} with N = ${rows}, got ${value.length} values`);
  return tf.tensor2d(value, [rows, value.length / rows]);
}

/** Disposes every tensor a batch holds (views, images, similarity, ...). */
export function disposeBatchTensors(batch: object): void {
  for (const value of Object.values(batch)) {
    if (value instanceof tf.Tensor) value.dispose();
    else if (Array.isArray(value)) for (const v of value) if (v instanceof tf.Tensor) v.dispose();
  }
}
