import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  batchSimilarityFromClasses,
  batchSimilarityFromEmbeddings,
  batchSimilarityFromTopK,
  similarityBetweenClasses,
  similarityBetweenEmbeddings,
  similarityBetweenTopK,
} from '../src/index.js';

const unitRows = (m: number, dim: number, seed: number) =>
  tf.tidy(() => {
    const x = tf.randomNormal([m, dim], 0, 1, 'float32', seed);
    return tf.div(x, tf.norm(x, 2, 1, true)).dataSync() as Float32Array;
  });

/** Columns `cols` of a batch matrix over `keys`: the rectangular form read off the square one. */
function columns(square: tf.Tensor2D, rows: number, cols: number[]): number[] {
  const values = square.arraySync();
  return values.slice(0, rows).flatMap((row) => cols.map((c) => row[c]));
}

describe('similarity between two sets of samples (batch × queue)', () => {
  const batch = [3, 0, 7, 5];
  const queue = [1, 5, 9, 3, 2];
  const all = [...batch, ...queue];
  const queueCols = queue.map((_, q) => batch.length + q);

  it('embeddings: the rows and columns of the square batch matrix over both sets', () => {
    const embeddings = unitRows(10, 6, 1);
    const got = similarityBetweenEmbeddings(embeddings, 6, batch, queue);
    expect(got.shape).toEqual([4, 5]);
    const square = batchSimilarityFromEmbeddings(embeddings, 6, all);
    const expected = columns(square, batch.length, queueCols);
    for (const [i, v] of got.dataSync().entries()) expect(v).toBeCloseTo(expected[i], 6);
    expect(() => similarityBetweenEmbeddings(embeddings, 6, batch, [10])).toThrow(
      'similarityBetweenEmbeddings: sample index 10 is out of range [0, 10)',
    );
  });

  it('classes: similarity[labelsA[a], labelsB[b]]', () => {
    const graph = { classNames: ['a', 'b', 'c'], similarity: Float32Array.from([1, 0.5, 0.1, 0.5, 1, 0.3, 0.1, 0.3, 1]) };
    const labelsA = [0, 2, 1];
    const labelsB = [1, 1, 0, 2];
    const got = similarityBetweenClasses(graph, labelsA, labelsB);
    const square = batchSimilarityFromClasses(graph, [...labelsA, ...labelsB]);
    expect(Array.from(got.dataSync())).toEqual(columns(square, 3, [3, 4, 5, 6]));
    expect(() => similarityBetweenClasses(graph, [0], [3])).toThrow('similarityBetweenClasses: label 3 is out of range [0, 3)');
  });

  it('top-k: listed neighbours in either direction, 1 for the same sample, the floor elsewhere; -1 skipped', () => {
    const k = 2;
    const neighbors = new Int32Array(10 * k).fill(-1);
    const scores = new Float32Array(10 * k);
    const list = (i: number, pairs: [number, number][]) =>
      pairs.forEach(([j, s], t) => {
        neighbors[i * k + t] = j;
        scores[i * k + t] = s;
      });
    list(3, [
      [9, 0.9],
      [5, 0.4],
    ]);
    list(2, [
      [0, 0.7],
      [-1, 0],
    ]);
    list(7, [
      [1, 0.6],
      [2, 0.2],
    ]);
    list(5, [
      [3, 0.5],
      [8, 0.3],
    ]);
    const graph = { neighbors, scores, k };
    // Without a sample on both sides (the square form keeps one position per sample), the square form's block.
    const others = [1, 9, 2, 8, 4];
    const square = batchSimilarityFromTopK(graph, [...batch, ...others], 0.05);
    const expected = columns(square, batch.length, queueCols);
    const disjoint = similarityBetweenTopK(graph, batch, others, 0.05);
    for (const [i, v] of disjoint.dataSync().entries()) expect(v).toBeCloseTo(expected[i], 6);
    const got = similarityBetweenTopK(graph, batch, queue, 0.05);
    // Spot checks: 3 lists 9 (0.9); 3 and 5 list each other (0.4, 0.5); sample 5 and sample 3 meet themselves.
    const at = (a: number, b: number) => got.dataSync()[batch.indexOf(a) * queue.length + queue.indexOf(b)];
    expect(at(3, 9)).toBeCloseTo(0.9, 6);
    expect(at(3, 5)).toBeCloseTo(0.5, 6);
    expect(at(5, 5)).toBe(1);
    expect(at(3, 3)).toBe(1);
    expect(at(0, 2)).toBeCloseTo(0.7, 6);
    expect(at(7, 1)).toBeCloseTo(0.6, 6);
    expect(at(0, 9)).toBeCloseTo(0.05, 6);
  });
});
