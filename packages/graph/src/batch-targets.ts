import * as tf from '@tensorflow/tfjs-core';
import type { ClassSimilarity } from './class-graph.js';

// Per-batch similarity graphs for the losses: for the N samples of a batch (their dataset indices
// or labels), the [N, N] matrix `xclrLoss` turns into soft targets.

function checkIndices(fn: string, indices: Int32Array | number[], size: number, what: string): void {
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= size) throw new Error(`${fn}: ${what} ${i} is out of range [0, ${size})`);
  }
}

/** (a) From dense unit embeddings `[M, dim]` (row-major) of all samples: cosine similarities of the batch's rows. */
export function batchSimilarityFromEmbeddings(embeddings: Float32Array, dim: number, indices: Int32Array | number[]): tf.Tensor2D {
  const rows = batchRows(embeddings, dim, indices, 'batchSimilarityFromEmbeddings');
  return tf.tidy(() => {
    const z = tf.tensor2d(rows, [indices.length, dim]);
    return tf.matMul(z, z, false, true);
  });
}

/**
 * The embedding rows of a batch's samples, `[indices.length × dim]` row-major (e.g. the frozen
 * caption embeddings a CLIP projection tower reads).
 */
export function batchRows(embeddings: Float32Array, dim: number, indices: Int32Array | number[], fn = 'batchRows'): Float32Array {
  const m = embeddings.length / dim;
  if (!Number.isInteger(m)) throw new Error(`${fn}: ${embeddings.length} values are not rows of ${dim}`);
  checkIndices(fn, indices, m, 'sample index');
  const rows = new Float32Array(indices.length * dim);
  Array.from(indices).forEach((i, k) => {
    rows.set(embeddings.subarray(i * dim, (i + 1) * dim), k * dim);
  });
  return rows;
}

/**
 * (b) From a sparse top-k graph: listed neighbours get their score, each sample 1 with itself,
 * pairs not listed get `floor`. The result is symmetrised by the maximum of (i, j) and (j, i).
 * A neighbour of -1 (none, or not a training sample: `topKGraphForKeys`) is skipped.
 */
export function batchSimilarityFromTopK(
  graph: { neighbors: Int32Array; scores: Float32Array; k: number },
  indices: Int32Array | number[],
  floor = 0,
): tf.Tensor2D {
  const n = indices.length;
  const rows = graph.neighbors.length / graph.k;
  checkIndices('batchSimilarityFromTopK', indices, rows, 'sample index');
  const position = new Map<number, number>();
  Array.from(indices).forEach((i, k) => {
    position.set(i, k);
  });
  const out = new Float32Array(n * n).fill(floor);
  Array.from(indices).forEach((i, a) => {
    out[a * n + a] = 1;
    for (let t = 0; t < graph.k; t++) {
      const j = graph.neighbors[i * graph.k + t];
      if (j < 0) continue;
      const b = position.get(j);
      if (b === undefined || b === a) continue;
      const s = graph.scores[i * graph.k + t];
      out[a * n + b] = Math.max(out[a * n + b], s);
      out[b * n + a] = Math.max(out[b * n + a], s);
    }
  });
  return tf.tensor2d(out, [n, n]);
}

/**
 * (c) From class labels and a class × class similarity matrix (a class-description, taxonomy,
 * edge-list or co-occurrence graph): `[N, N]` with entry (a, b) = similarity[labels[a], labels[b]].
 * Takes the graph itself, `(graph, labels)`, or its matrix and class count, `(similarity, numClasses, labels)`.
 */
export function batchSimilarityFromClasses(graph: ClassSimilarity, labels: Int32Array | number[]): tf.Tensor2D;
export function batchSimilarityFromClasses(classSimilarity: Float32Array, numClasses: number, labels: Int32Array | number[]): tf.Tensor2D;
export function batchSimilarityFromClasses(
  first: Float32Array | ClassSimilarity,
  second: number | Int32Array | number[],
  third?: Int32Array | number[],
): tf.Tensor2D {
  const graph = first instanceof Float32Array ? null : first;
  const classSimilarity = graph ? graph.similarity : (first as Float32Array);
  const numClasses = graph ? graph.classNames.length : (second as number);
  const labels = graph ? (second as Int32Array | number[]) : third;
  if (labels === undefined || typeof labels === 'number') throw new Error('batchSimilarityFromClasses: no labels given');
  if (classSimilarity.length !== numClasses * numClasses) {
    throw new Error(`batchSimilarityFromClasses: class matrix has ${classSimilarity.length} values, expected ${numClasses}×${numClasses}`);
  }
  checkIndices('batchSimilarityFromClasses', labels, numClasses, 'label');
  const n = labels.length;
  const out = new Float32Array(n * n);
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) out[a * n + b] = classSimilarity[labels[a] * numClasses + labels[b]];
  return tf.tensor2d(out, [n, n]);
}

/** (d) The 0/1 same-label graph (SupCon's targets). */
export function sameLabelGraph(labels: Int32Array | number[]): tf.Tensor2D {
  const n = labels.length;
  const out = new Float32Array(n * n);
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) out[a * n + b] = labels[a] === labels[b] ? 1 : 0;
  return tf.tensor2d(out, [n, n]);
}

/** (e) The identity graph (SimCLR's targets). */
export function identityGraph(n: number): tf.Tensor2D {
  return tf.eye(n) as tf.Tensor2D;
}
