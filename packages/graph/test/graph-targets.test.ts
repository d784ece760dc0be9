import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { batchSimilarityFromClasses, classTargets, embeddingTargets, topKTargets } from '../src/index.js';
import { unitRows } from './helpers/embeddings.js';

// The three target sources share one shape: `batch(keys)` is `between(keys, keys)`, and `key` says
// which batch field identifies a sample.
describe('graph targets', () => {
  const keys = Int32Array.from([3, 0, 5, 1]);
  const queue = Int32Array.from([2, 3, 4]);
  const classGraph = {
    classNames: ['a', 'b', 'c', 'd', 'e', 'f'],
    similarity: Float32Array.from({ length: 36 }, (_, i) => (i % 7 === 0 ? 1 : 0.1 * (i % 5))),
  };
  const cases = {
    topk: topKTargets({
      k: 2,
      neighbors: Int32Array.from([1, 2, 0, 3, 3, 0, 2, 5, 5, 1, 4, -1]),
      scores: Float32Array.from([0.9, 0.5, 0.9, 0.4, 0.8, 0.5, 0.8, 0.3, 0.6, 0.2, 0.6, 0]),
    }),
    embeddings: embeddingTargets({ rows: unitRows(6, 4, 1), dim: 4 }),
    classes: classTargets(classGraph),
  };

  for (const [name, targets] of Object.entries(cases)) {
    it(`${name}: batch(keys) equals between(keys, keys), and between has the queue's width`, () => {
      const [batch, self, rect] = [targets.batch(keys), targets.between(keys, keys), targets.between(keys, queue)];
      expect(batch.arraySync()).toEqual(self.arraySync());
      expect(rect.shape).toEqual([4, 3]);
      tf.dispose([batch, self, rect]);
    });
  }

  it('keys: sample indices for sample graphs, labels for class graphs', () => {
    expect([cases.topk.key, cases.embeddings.key, cases.classes.key]).toEqual(['indices', 'indices', 'labels']);
    const labels = [1, 1, 4];
    expect(cases.classes.batch(labels).arraySync()).toEqual(batchSimilarityFromClasses(classGraph, labels).arraySync());
  });
});
