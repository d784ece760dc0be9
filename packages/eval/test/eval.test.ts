import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  classSimilarity,
  features,
  graphCorrelation,
  knnClassify,
  linearProbe,
  retrievalRecall,
  similarityByGroup,
} from '../src/index.js';

describe('retrieval recall', () => {
  it('a constructed case with a known answer', async () => {
    // Image 2 = (1, 0.2) is closer to caption 0 = (1, 0) than to its own caption 2 = (0.8, 0.6),
    // which ranks second; every other match ranks first, in both directions.
    const images = features(Float32Array.from([1, 0, 0, 1, 1, 0.2]), 2);
    const texts = features(Float32Array.from([1, 0, 0, 1, 0.8, 0.6]), 2);
    const r = await retrievalRecall(images, texts, [1, 2]);
    expect(r.imageToText).toEqual({ 1: expect.closeTo(2 / 3, 10), 2: 1 });
    expect(r.textToImage).toEqual({ 1: 1, 2: 1 });
  });

  it('mismatched counts are a clear error', async () => {
    await expect(retrievalRecall(features(new Float32Array(6), 2), features(new Float32Array(4), 2))).rejects.toThrow(
      'retrievalRecall: 3 images but 2 captions; rows must pair up',
    );
  });
});

describe('input checks', () => {
  it('mismatched feature/label counts and empty inputs', async () => {
    const f = features(new Float32Array(6), 3);
    await expect(knnClassify(f, [0], f, [0, 1])).rejects.toThrow('knnClassify train: 1 labels for 2 feature rows');
    await expect(linearProbe(f, [0, 1], f, [0])).rejects.toThrow('linearProbe test: 1 labels for 2 feature rows');
    expect(() => features(new Float32Array(0), 3)).toThrow('features: empty feature matrix');
    expect(() => features(new Float32Array(5), 3)).toThrow('features: 5 values are not rows of 3');
  });

  it('kNN leaves no tensors behind and handles k larger than the training set', async () => {
    const f = features(Float32Array.from([1, 0, 0, 1, 1, 0.1]), 2);
    const before = tf.memory().numTensors;
    const r = await knnClassify(f, [0, 1, 0], f, [0, 1, 0], { ks: [1, 200] });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.accuracy[1]).toBe(1);
    // k = 200 uses all 3 rows; the exp(cos / 0.07) weights keep each row's own class ahead.
    expect(r.accuracy[200]).toBe(1);
    expect(Array.from(r.predictions[200])).toEqual([0, 1, 0]);
  });

  it('the linear probe leaves no tensors behind', async () => {
    const f = features(
      Float32Array.from({ length: 40 }, (_, i) => (i % 4) + (i % 3)),
      2,
    );
    const labels = Array.from({ length: 20 }, (_, i) => i % 2);
    const before = tf.memory().numTensors;
    await linearProbe(f, labels, f, labels, { epochs: 3, alsoEvaluate: { again: { features: f, labels } } });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('similarity structure', () => {
  it('class similarity of features and its correlation with a target graph', async () => {
    // Two tight clusters per class direction: classes 0 and 1 point alike, class 2 apart.
    const f = features(Float32Array.from([1, 0.1, 1, 0, 0.9, 0.3, 0.8, 0.4, -1, 0, -1, 0.1]), 2);
    const s = classSimilarity(f, [0, 0, 1, 1, 2, 2], 3);
    expect(s[0]).toBeCloseTo(1, 6);
    expect(s[1]).toBeGreaterThan(0.9);
    expect(s[2]).toBeLessThan(-0.9);
    const target = Float32Array.from([1, 0.8, 0.1, 0.8, 1, 0.2, 0.1, 0.2, 1]);
    const { pearson, spearman } = graphCorrelation(s, target, 3);
    expect(pearson).toBeGreaterThan(0.9);
    expect(spearman).toBeCloseTo(1, 6);
  });

  it('similarityByGroup: per label kind, learned and target similarity by value and their correlation', () => {
    // Six samples with a colour (0, 1, 2) and a size (0, 1). The learned features encode colour
    // like the targets do (colours 0 and 1 alike, 2 apart) and ignore size; the targets encode both.
    const colour = [0, 0, 1, 1, 2, 2];
    const size = [0, 1, 0, 1, 0, 1];
    const dir = [
      [1, 0],
      [0.8, 0.6],
      [-1, 0],
    ];
    const learned = features(Float32Array.from(colour.flatMap((c) => dir[c])), 2);
    const target = features(Float32Array.from(colour.flatMap((c, i) => [...dir[c], size[i] ? 1 : -1])), 3);
    const r = similarityByGroup(learned, target, { colour, size });
    expect(r.colour.values).toBe(3);
    expect(r.colour.learned).toHaveLength(9);
    expect(r.colour.pearson).toBeGreaterThan(0.95);
    expect(r.colour.learned[1]).toBeCloseTo(0.8, 5);
    // Learned features do not tell the sizes apart: their mean directions coincide.
    expect(r.size.learned[1]).toBeCloseTo(1, 5);
    expect(r.size.target[1]).toBeLessThan(0.5);
    expect(() => similarityByGroup(learned, features(new Float32Array(4), 2), { colour })).toThrow(
      'similarityByGroup: 6 learned rows but 2 target rows',
    );
    expect(() => similarityByGroup(learned, target, { one: [0, 0, 0, 0, 0, 0] })).toThrow(
      'similarityByGroup one: labels must be integers ≥ 0 with at least two values',
    );
  });
});
