import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createTextProjection, SmallTextEncoder, trainStep, Vocabulary } from '../src/index.js';

describe('text towers', () => {
  const captions = ['a red sneaker on a striped background', 'a blue bag on a plain background', 'a red bag'];

  it('builds a vocabulary from captions and encodes with padding and unknown words', () => {
    const vocab = Vocabulary.fromCaptions(captions, 6);
    expect(vocab.words.slice(0, 2)).toEqual(['<pad>', '<unk>']);
    expect(vocab.words[2]).toBe('a'); // the most frequent word
    const ids = vocab.encode(['a zebra'], 4).arraySync();
    expect(ids).toEqual([[2, 1, 0, 0]]);
  });

  for (const pooling of ['mean', 'attention'] as const) {
    it(`SmallTextEncoder (${pooling}) embeds, ignores padding, and trains`, () => {
      const vocab = Vocabulary.fromCaptions(captions);
      const enc = new SmallTextEncoder({ vocabularySize: vocab.size, maxLength: 8, embedDim: 16, outputDim: 4, pooling }, 1);
      const ids = vocab.encode(captions, 8);
      expect(enc.apply(ids).shape).toEqual([3, 4]);
      // Extra padding does not change the embedding.
      const padded = tf.concat([ids, tf.zeros([3, 4], 'int32')], 1) as tf.Tensor2D;
      expect(Array.from(enc.apply(padded).dataSync()).map((v) => v.toFixed(5))).toEqual(
        Array.from(enc.apply(ids).dataSync()).map((v) => v.toFixed(5)),
      );
      const opt = tf.train.adam(0.05);
      const target = tf.eye(3, 4);
      const loss = () => tf.mean(tf.square(tf.sub(enc.apply(ids), target))) as tf.Scalar;
      const first = trainStep(loss, { optimizer: opt, variables: enc.trainableWeights }).loss;
      let last = first;
      for (let i = 0; i < 30; i++) last = trainStep(loss, { optimizer: opt, variables: enc.trainableWeights }).loss;
      expect(last).toBeLessThan(first / 2);
    });
  }

  it('LiT projection maps frozen caption embeddings to the joint space', () => {
    const proj = createTextProjection(512, 64, 3);
    expect((proj.predict(tf.zeros([5, 512])) as tf.Tensor).shape).toEqual([5, 64]);
  });
});
