import * as tf from '@tensorflow/tfjs-core';
import { batchRows } from './batch-targets.js';
import type { ClassSimilarity } from './class-graph.js';

// Rectangular forms of the per-batch targets: the [A, B] similarity between two sets of samples
// (by dataset index or label), e.g. a batch's samples and the entries of a memory queue. With the
// same keys on both sides each equals its batchSimilarityFrom* counterpart.

function checkKeys(fn: string, keys: Int32Array | readonly number[], size: number, what: string): void {
  for (const i of keys) {
    if (!Number.isInteger(i) || i < 0 || i >= size) throw new Error(`${fn}: ${what} ${i} is out of range [0, ${size})`);
  }
}

/** From dense unit embeddings `[M, dim]` (row-major) of all samples: cosine similarities of rows `keysA` to rows `keysB`. */
export function similarityBetweenEmbeddings(
  embeddings: Float32Array,
  dim: number,
  keysA: Int32Array | readonly number[],
  keysB: Int32Array | readonly number[],
): tf.Tensor2D {
  const fn = 'similarityBetweenEmbeddings';
  const a = batchRows(embeddings, dim, keysA as Int32Array | number[], fn);
  const b = batchRows(embeddings, dim, keysB as Int32Array | number[], fn);
  return tf.tidy(() => tf.matMul(tf.tensor2d(a, [keysA.length, dim]), tf.tensor2d(b, [keysB.length, dim]), false, true));
}

/** From a class graph: entry (a, b) = similarity[labelsA[a], labelsB[b]]. */
export function similarityBetweenClasses(
  graph: ClassSimilarity,
  labelsA: Int32Array | readonly number[],
  labelsB: Int32Array | readonly number[],
): tf.Tensor2D {
  const fn = 'similarityBetweenClasses';
  const classes = graph.classNames.length;
  if (graph.similarity.length !== classes * classes) {
    throw new Error(`${fn}: class matrix has ${graph.similarity.length} values, expected ${classes}×${classes}`);
  }
  checkKeys(fn, labelsA, classes, 'label');
  checkKeys(fn, labelsB, classes, 'label');
  const out = new Float32Array(labelsA.length * labelsB.length);
  for (let a = 0; a < labelsA.length; a++) {
    for (let b = 0; b < labelsB.length; b++) out[a * labelsB.length + b] = graph.similarity[labelsA[a] * classes + labelsB[b]];
  }
  return tf.tensor2d(out, [labelsA.length, labelsB.length]);
}

/**
 * From a sparse top-k graph, as `batchSimilarityFromTopK`: 1 where both sides are the same sample,
 * the larger score where either lists the other as a neighbour, `floor` elsewhere; a neighbour of
 * -1 is skipped.
 */
export function similarityBetweenTopK(
  graph: { neighbors: Int32Array; scores: Float32Array; k: number },
  keysA: Int32Array | readonly number[],
  keysB: Int32Array | readonly number[],
  floor = 0,
): tf.Tensor2D {
  const fn = 'similarityBetweenTopK';
  const rows = graph.neighbors.length / graph.k;
  checkKeys(fn, keysA, rows, 'sample index');
  checkKeys(fn, keysB, rows, 'sample index');
  const positions = (keys: Int32Array | readonly number[]) => {
    const at = new Map<number, number[]>();
    Array.from(keys).forEach((key, p) => {
      at.set(key, [...(at.get(key) ?? []), p]);
    });
    return at;
  };
  const inA = positions(keysA);
  const inB = positions(keysB);
  const width = keysB.length;
  const out = new Float32Array(keysA.length * width).fill(floor);
  const raise = (a: number, b: number, s: number) => {
    out[a * width + b] = Math.max(out[a * width + b], s);
  };
  // Neighbours listed by a sample of A, and by a sample of B, in both directions.
  Array.from(keysA).forEach((i, a) => {
    for (let t = 0; t < graph.k; t++) {
      const j = graph.neighbors[i * graph.k + t];
      for (const b of j < 0 ? [] : (inB.get(j) ?? [])) raise(a, b, graph.scores[i * graph.k + t]);
    }
  });
  Array.from(keysB).forEach((j, b) => {
    for (let t = 0; t < graph.k; t++) {
      const i = graph.neighbors[j * graph.k + t];
      for (const a of i < 0 ? [] : (inA.get(i) ?? [])) raise(a, b, graph.scores[j * graph.k + t]);
    }
  });
  Array.from(keysA).forEach((i, a) => {
    for (const b of inB.get(i) ?? []) out[a * width + b] = 1;
  });
  return tf.tensor2d(out, [keysA.length, width]);
}
