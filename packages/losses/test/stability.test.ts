import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { clipLoss, ntXentLoss, softTargetCrossEntropy, supConLoss, xclrLoss } from '../src/index.js';
import { expectClose, randn, randomSimilarity } from './helpers.js';

function expectFinite(t: tf.Tensor): void {
  for (const v of t.dataSync()) expect(Number.isFinite(v)).toBe(true);
}

/** Every loss of [zA, zB] with the options that stress it. */
function allLosses(temperature: number) {
  const n = 16;
  const labels = tf.tensor1d(
    Array.from({ length: n }, (_, i) => i % 4),
    'int32',
  );
  const s = randomSimilarity(n, 8, 99);
  return {
    ntxent: (a: tf.Tensor2D, b: tf.Tensor2D) => ntXentLoss(a, b, { temperature }),
    xclrAll: (a: tf.Tensor2D, b: tf.Tensor2D) => xclrLoss(a, b, s, { temperature, targetTemperature: 0.01 }),
    xclrCross: (a: tf.Tensor2D, b: tf.Tensor2D) => xclrLoss(a, b, s, { temperature, targetTemperature: 0.01, mode: 'cross' }),
    supcon: (a: tf.Tensor2D, b: tf.Tensor2D) => supConLoss(a, b, labels, { temperature }),
    supconOneView: (a: tf.Tensor2D) => supConLoss(a, null, labels, { temperature }),
    clip: (a: tf.Tensor2D, b: tf.Tensor2D) => clipLoss(a, b, { logitScale: 1 / temperature }),
  };
}

describe('numerical stability', () => {
  for (const [name, loss] of Object.entries(allLosses(0.01))) {
    it(`${name}: finite value and gradients at temperature 0.01 with near-duplicate embeddings`, () => {
      const base = randn(16, 32, 5);
      // Views differ by 1e-6 and samples 0..7 duplicate samples 8..15 up to 1e-6.
      const zA = tf.concat([tf.slice(base, [0, 0], [8, 32]), tf.add(tf.slice(base, [0, 0], [8, 32]), 1e-6)]) as tf.Tensor2D;
      const zB = tf.add(zA, tf.mul(randn(16, 32, 6), 1e-6)) as tf.Tensor2D;
      const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) =>
        name === 'supconOneView'
          ? tf.add(loss(a as tf.Tensor2D, b as tf.Tensor2D), tf.mul(tf.sum(b), 0))
          : loss(a as tf.Tensor2D, b as tf.Tensor2D),
      )([zA, zB]);
      expectFinite(value);
      for (const g of grads) expectFinite(g);
    });
  }

  it('large logits: softTargetCrossEntropy equals the closed form without overflow', () => {
    const logits = tf.tensor2d([[1000, 999, -1000]]);
    const targets = tf.tensor2d([[0.5, 0.5, 0]]);
    // log-sum-exp = 1000 + log(1 + e^-1): CE = 0.5·(lse − 1000) + 0.5·(lse − 999).
    const lse = 1000 + Math.log(1 + Math.exp(-1));
    expectClose(softTargetCrossEntropy(logits, targets).dataSync(), [lse - 999.5], 1e-6);
  });

  it('masked entries take no part, and no -Infinity or NaN appears even with non-zero targets there', () => {
    const logits = tf.tensor2d([[2, 1, 5]]);
    const mask = tf.tensor2d([[1, 1, 0]]);
    const value = softTargetCrossEntropy(logits, tf.tensor2d([[1, 0, 1]]), { mask }).dataSync()[0];
    expectClose([value], [Math.log(1 + Math.exp(-1))], 1e-6);
  });

  it('zero-norm embeddings give finite values (normalisation is clamped)', () => {
    const zA = tf.zeros([4, 3]) as tf.Tensor2D;
    const zB = randn(4, 3, 7);
    expectFinite(ntXentLoss(zA, zB));
    expectFinite(tf.grad((a: tf.Tensor) => ntXentLoss(a as tf.Tensor2D, zB))(zA));
  });
});

describe('a batch of one', () => {
  // One sample: every anchor has a single candidate (its other view), so each loss is exactly 0,
  // and the constant masks must not need a one-hot depth of 2.
  const s = tf.tensor2d([[1]]);
  const labels = tf.tensor1d([3], 'int32');
  const cases: [string, (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Scalar][] = [
    ['ntxent', (a, b) => ntXentLoss(a, b)],
    ['xclr all', (a, b) => xclrLoss(a, b, s)],
    ['xclr cross', (a, b) => xclrLoss(a, b, s, { mode: 'cross' })],
    ['supcon', (a, b) => supConLoss(a, b, labels)],
    ['clip', (a, b) => clipLoss(a, b)],
  ];
  for (const [name, loss] of cases) {
    it(`${name} is 0 with finite gradients`, () => {
      const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) => loss(a as tf.Tensor2D, b as tf.Tensor2D))([
        randn(1, 8, 1),
        randn(1, 8, 2),
      ]);
      expectClose(value.dataSync(), [0], 0, 1e-6);
      for (const g of grads) expectFinite(g);
    });
  }
});
