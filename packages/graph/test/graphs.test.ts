import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  batchSimilarityFromClasses,
  batchRows,
  batchSimilarityFromEmbeddings,
  batchSimilarityFromTopK,
  buildClassGraph,
  identityGraph,
  normalizeRows,
  sameLabelGraph,
  type TextEncoder,
} from '../src/index.js';

/** A deterministic bag-of-letters encoder: enough to check the plumbing exactly. */
const letters: TextEncoder = {
  name: 'letters',
  dim: 26,
  async embed(texts) {
    const out = new Float32Array(texts.length * 26);
    texts.forEach((t, i) => {
      for (const ch of t.toLowerCase()) if (ch >= 'a' && ch <= 'z') out[i * 26 + ch.charCodeAt(0) - 97] += 1;
    });
    return normalizeRows(out, 26);
  },
  dispose() {},
};

describe('class-description graphs', () => {
  it('averages the template prompts of each class and returns cosine similarities', async () => {
    const g = await buildClassGraph(letters, ['cat', 'car', 'zzz'], { templates: ['{}', '{} {}'.replace(' {}', '')] });
    expect(g.similarity.length).toBe(9);
    for (let i = 0; i < 3; i++) expect(g.similarity[i * 3 + i]).toBeCloseTo(1, 6);
    // cat·car: two of three letters shared, each once: 2/3.
    expect(g.similarity[1]).toBeCloseTo(2 / 3, 6);
    expect(g.similarity[2]).toBeCloseTo(0, 6);
    expect(g.similarity[3]).toBeCloseTo(g.similarity[1], 6);
  });

  it('uses descriptions when given, and rejects bad templates or counts', async () => {
    const g = await buildClassGraph(letters, ['A', 'B'], { descriptions: ['abc', 'abd'], templates: ['{}'] });
    expect(g.texts).toEqual(['abc', 'abd']);
    expect(g.similarity[1]).toBeCloseTo(2 / 3, 6);
    await expect(buildClassGraph(letters, ['a', 'b'], { templates: ['no slot'] })).rejects.toThrow(/every template must contain "\{\}"/);
    await expect(buildClassGraph(letters, ['a', 'b'], { descriptions: ['x'] })).rejects.toThrow(/1 descriptions for 2 classes/);
  });
});

describe('batch target builders', () => {
  it('(a) dense embeddings: cosine similarities of the batch rows', () => {
    const e = normalizeRows(Float32Array.from([1, 0, 1, 1, 0, 1]), 2);
    const s = batchSimilarityFromEmbeddings(e, 2, [2, 0]).arraySync();
    expect(s[0][0]).toBeCloseTo(1, 6);
    expect(s[0][1]).toBeCloseTo(0, 6);
    expect(() => batchSimilarityFromEmbeddings(e, 2, [3])).toThrow('batchSimilarityFromEmbeddings: sample index 3 is out of range [0, 3)');
  });

  it('batchRows gathers the rows of the batch, in batch order, and names a bad index', () => {
    const e = Float32Array.from([1, 2, 3, 4, 5, 6]);
    expect(Array.from(batchRows(e, 2, Int32Array.from([2, 0, 2])))).toEqual([5, 6, 1, 2, 5, 6]);
    expect(() => batchRows(e, 2, [-1])).toThrow('batchRows: sample index -1 is out of range [0, 3)');
    expect(() => batchRows(e, 4, [0])).toThrow('batchRows: 6 values are not rows of 4');
  });

  it('(b) sparse top-k: listed scores, self 1, absent pairs the floor, symmetric', () => {
    // 4 samples, k = 2.
    const graph = { k: 2, neighbors: Int32Array.from([1, 2, 0, 3, 0, 1, 1, 0]), scores: Float32Array.from([0.9, 0.5, 0.9, 0.4, 0.5, 0.3, 0.4, 0.2]) };
    const s = batchSimilarityFromTopK(graph, [0, 3, 2], -0.1).arraySync();
    expect(s).toEqual([
      [1, expect.closeTo(0.2, 6), expect.closeTo(0.5, 6)],
      [expect.closeTo(0.2, 6), 1, -0.1].map((v) => (typeof v === 'number' ? expect.closeTo(v, 6) : v)),
      [expect.closeTo(0.5, 6), expect.closeTo(-0.1, 6), 1],
    ]);
  });

  it('(c) class matrix, (d) same-label and (e) identity graphs', () => {
    const cls = Float32Array.from([1, 0.3, 0.3, 1]);
    expect(batchSimilarityFromClasses(cls, 2, [1, 0, 1]).arraySync()).toEqual([
      [1, expect.closeTo(0.3, 6), 1],
      [expect.closeTo(0.3, 6), 1, expect.closeTo(0.3, 6)],
      [1, expect.closeTo(0.3, 6), 1],
    ]);
    expect(sameLabelGraph([1, 0, 1]).arraySync()).toEqual([
      [1, 0, 1],
      [0, 1, 0],
      [1, 0, 1],
    ]);
    expect(identityGraph(2).arraySync()).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(() => batchSimilarityFromClasses(cls, 2, [2])).toThrow('batchSimilarityFromClasses: label 2 is out of range [0, 2)');
    expect(tf.memory().numTensors).toBeGreaterThan(0);
  });
});

describe('class graph cache', () => {
  it('a second build with the same inputs is read from the cache without loading the encoder', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const cacheDir = mkdtempSync(`${tmpdir()}/xclr-cg-`);
    const first = await buildClassGraph(letters, ['cat', 'car'], { templates: ['{}'], cacheDir });
    let loaded = false;
    const lazy = async () => {
      loaded = true;
      return letters;
    };
    const second = await buildClassGraph(lazy, ['cat', 'car'], { templates: ['{}'], cacheDir, encoderName: 'letters' });
    expect(loaded).toBe(false);
    expect(Array.from(second.similarity)).toEqual(Array.from(first.similarity));
    const other = await buildClassGraph(lazy, ['cat', 'dog'], { templates: ['{}'], cacheDir, encoderName: 'letters' });
    expect(loaded).toBe(true);
    expect(other.similarity[1]).toBeCloseTo(0, 6);
  });
});
