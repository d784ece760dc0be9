import type * as tf from '@tensorflow/tfjs-core';
import { batchSimilarityFromClasses, batchSimilarityFromEmbeddings, batchSimilarityFromTopK } from './batch-targets.js';
import type { ClassSimilarity } from './class-graph.js';
import { similarityBetweenClasses, similarityBetweenEmbeddings, similarityBetweenTopK } from './similarity-between.js';

/**
 * A target graph's similarities as a training objective asks for them: within a batch (`batch`)
 * and between two sets of samples (`between`: a batch and the entries of a memory queue). `key`
 * says what identifies a sample: its index (caption and top-k graphs) or its class label.
 */
export interface GraphTargets {
  key: 'indices' | 'labels';
  /** The `[N, N]` similarity of a batch's samples. */
  batch(keys: Int32Array | number[]): tf.Tensor2D;
  /** The `[A, B]` similarity of samples `keysA` to samples `keysB`. */
  between(keysA: Int32Array, keysB: Int32Array): tf.Tensor2D;
}

/** Targets by sample index from a sparse top-k graph (`topKGraphForKeys`); pairs outside it get `floor`. */
export function topKTargets(graph: { neighbors: Int32Array; scores: Float32Array; k: number }, floor = 0): GraphTargets {
  return {
    key: 'indices',
    batch: (keys) => batchSimilarityFromTopK(graph, keys, floor),
    between: (a, b) => similarityBetweenTopK(graph, a, b, floor),
  };
}

/** Targets by sample index from one unit caption embedding per sample (`splitCaptionEmbeddings`). */
export function embeddingTargets(embeddings: { rows: Float32Array; dim: number }): GraphTargets {
  const { rows, dim } = embeddings;
  return {
    key: 'indices',
    batch: (keys) => batchSimilarityFromEmbeddings(rows, dim, keys),
    between: (a, b) => similarityBetweenEmbeddings(rows, dim, a, b),
  };
}

/** Targets by class label from a class graph (`classGraphFrom`, `buildClassGraph`). */
export function classTargets(graph: ClassSimilarity): GraphTargets {
  return {
    key: 'labels',
    batch: (labels) => batchSimilarityFromClasses(graph, labels),
    between: (a, b) => similarityBetweenClasses(graph, a, b),
  };
}
