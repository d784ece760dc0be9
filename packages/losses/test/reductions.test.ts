import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ntXentLoss, supConLoss, xclrLoss, xclrTargets } from '../src/index.js';
import { expectClose, randn } from './helpers.js';

// X-CLR generalises SimCLR and SupCon: with a sharp target temperature, the identity graph gives
// NT-Xent and the same-label graph gives SupCon (the paper's Theorem 1 view).
describe('X-CLR reduces to its special cases', () => {
  for (const [n, d, temperature] of [
    [8, 4, 0.1],
    [32, 16, 0.5],
    [64, 128, 0.07],
  ] as const) {
    it(`identity graph → NT-Xent (N=${n}, D=${d}, τ=${temperature})`, () => {
      const zA = randn(n, d, 1);
      const zB = randn(n, d, 2);
      const xclr = xclrLoss(zA, zB, tf.eye(n) as tf.Tensor2D, { temperature, targetTemperature: 1e-4 });
      const ntxent = ntXentLoss(zA, zB, { temperature });
      expectClose(xclr.dataSync(), ntxent.dataSync(), 1e-5);
    });

    it(`same-label graph → SupCon (N=${n}, D=${d}, τ=${temperature})`, () => {
      const zA = randn(n, d, 3);
      const zB = randn(n, d, 4);
      const labels = tf.tensor1d(
        Array.from({ length: n }, (_, i) => (i * 7) % 5),
        'int32',
      );
      const sameLabel = tf.cast(tf.equal(tf.expandDims(labels, 1), tf.expandDims(labels, 0)), 'float32') as tf.Tensor2D;
      const xclr = xclrLoss(zA, zB, sameLabel, { temperature, targetTemperature: 1e-4 });
      const supcon = supConLoss(zA, zB, labels, { temperature, baseTemperature: temperature });
      expectClose(xclr.dataSync(), supcon.dataSync(), 1e-5);
    });
  }

  it('targets are row-stochastic and exclude each anchor itself', () => {
    const s = tf.tensor2d([
      [1, 0.5, 0.1],
      [0.5, 1, 0.2],
      [0.1, 0.2, 1],
    ]);
    const t = xclrTargets(s, { targetTemperature: 0.1 });
    expect(t.shape).toEqual([6, 6]);
    const rows = tf.sum(t, 1).dataSync();
    expectClose(rows, new Array(6).fill(1), 1e-6);
    const values = t.arraySync() as number[][];
    for (let i = 0; i < 6; i++) expect(values[i][i]).toBe(0);
    // Row 0 (sample 0, view A): its other view (col 3) carries s_00 = 1, the largest target.
    expect(values[0][3]).toBeGreaterThan(values[0][1]);
    expect(values[0][1]).toBeGreaterThan(values[0][2]);
  });
});
