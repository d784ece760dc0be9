import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { clipLoss, ntXentLoss, supConLoss, xclrLoss } from '../src/index.js';
import { expectNoLeak, randn, randomSimilarity } from './helpers.js';

const n = 12;
const d = 6;
const labels = tf.keep(
  tf.tensor1d(
    Array.from({ length: n }, (_, i) => i % 3),
    'int32',
  ),
);
const similarity = tf.keep(randomSimilarity(n, 5, 11));
const logScale = tf.keep(tf.scalar(Math.log(10)));

const losses: Record<string, (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Scalar> = {
  ntXentLoss: (a, b) => ntXentLoss(a, b),
  'xclrLoss all': (a, b) => xclrLoss(a, b, similarity),
  // Row-blocked (as above N = 2048): blocks of 5, 5 and 2 anchors per view.
  'ntXentLoss blocked': (a, b) => ntXentLoss(a, b, { blockSize: 5 }),
  'xclrLoss all blocked': (a, b) => xclrLoss(a, b, similarity, { blockSize: 5 }),
  'supConLoss blocked': (a, b) => supConLoss(a, b, labels, { blockSize: 5 }),
  'xclrLoss cross': (a, b) => xclrLoss(a, b, similarity, { mode: 'cross' }),
  supConLoss: (a, b) => supConLoss(a, b, labels),
  // The caller's own tf.exp is tidied with it, as a training step would.
  clipLoss: (a, b) => tf.tidy(() => clipLoss(a, b, { logitScale: tf.exp(logScale) as tf.Scalar })),
};

describe('no leaked tensors', () => {
  for (const [name, loss] of Object.entries(losses)) {
    it(`${name}: forward and backward leave no tensors behind`, () => {
      const zA = randn(n, d, 1);
      const zB = randn(n, d, 2);
      expectNoLeak(() => loss(zA, zB));
      expectNoLeak(() => {
        const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) => loss(a as tf.Tensor2D, b as tf.Tensor2D))([
          zA,
          zB,
        ]);
        tf.dispose([value, ...grads]);
      });
      tf.dispose([zA, zB]);
    });
  }
});

describe('gradient check: analytic directional derivative equals a central finite difference', () => {
  for (const [name, loss] of Object.entries(losses)) {
    it(name, () => {
      tf.tidy(() => {
        const zA = randn(n, d, 3);
        const zB = randn(n, d, 4);
        const vA = randn(n, d, 5);
        const vB = randn(n, d, 6);
        const [gA, gB] = tf.grads((a: tf.Tensor, b: tf.Tensor) => loss(a as tf.Tensor2D, b as tf.Tensor2D))([zA, zB]);
        const analytic = tf.add(tf.sum(tf.mul(gA, vA)), tf.sum(tf.mul(gB, vB))).dataSync()[0];
        const h = 1e-2;
        const at = (sign: number) =>
          loss(tf.add(zA, tf.mul(vA, sign * h)) as tf.Tensor2D, tf.add(zB, tf.mul(vB, sign * h)) as tf.Tensor2D).dataSync()[0];
        const numeric = (at(1) - at(-1)) / (2 * h);
        expect(Math.abs(analytic - numeric)).toBeLessThan(2e-2 * Math.max(1, Math.abs(analytic)));
        expect(Math.abs(analytic)).toBeGreaterThan(1e-3);
      });
    });
  }

  it('the CLIP gradient reaches a learnable logit scale', () => {
    const zA = randn(n, d, 7);
    const zB = randn(n, d, 8);
    const g = tf.grad((s: tf.Tensor) => clipLoss(zA, zB, { logitScale: tf.exp(s) as tf.Scalar }))(logScale);
    expect(Math.abs(g.dataSync()[0])).toBeGreaterThan(1e-3);
  });
});
