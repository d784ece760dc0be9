import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { clipLoss, ntXentLoss, softTargetCrossEntropy, supConLoss, xclrLoss } from '../src/index.js';
import { randn } from './helpers.js';

describe('clear errors for bad input', () => {
  const zA = randn(4, 3, 1);
  const zB = randn(4, 3, 2);
  const s = tf.eye(4) as tf.Tensor2D;
  const labels = tf.tensor1d([0, 1, 0, 1], 'int32');

  it('shape mismatch between views', () => {
    expect(() => ntXentLoss(zA, randn(5, 3, 3))).toThrow('ntXentLoss: zA and zB must have the same shape, got [4, 3] and [5, 3]');
    expect(() => xclrLoss(zA, randn(4, 2, 3), s)).toThrow(/xclrLoss: zA and zB must have the same shape/);
    expect(() => clipLoss(zA, randn(4, 2, 3))).toThrow(/clipLoss: imageEmb and textEmb must have the same shape/);
  });

  it('embeddings that are not [N, D]', () => {
    expect(() => ntXentLoss(tf.zeros([4]) as never, zB)).toThrow('ntXentLoss: zA must be a [N, D] tensor, got shape [4]');
    expect(() => ntXentLoss(tf.zeros([4, 3], 'int32') as never, zB)).toThrow(/zA must be float32, got int32/);
  });

  it('non-square or wrongly sized similarity', () => {
    expect(() => xclrLoss(zA, zB, tf.zeros([4, 3]) as tf.Tensor2D)).toThrow(
      'xclrLoss: similarity must be a square [N, N] matrix, got shape [4, 3]',
    );
    expect(() => xclrLoss(zA, zB, tf.eye(5) as tf.Tensor2D)).toThrow(
      'similarity must be [4, 4] to match the 4 embeddings, got [5, 5]',
    );
  });

  it('wrong labels', () => {
    expect(() => supConLoss(zA, zB, tf.tensor1d([0, 1, 0], 'int32'))).toThrow(
      'supConLoss: labels must be an int32 [4] tensor (one label per sample), got shape [3]',
    );
    expect(() => supConLoss(zA, zB, tf.tensor1d([0, 1, 0, 1]) as tf.Tensor1D)).toThrow('labels must be int32, got float32');
  });

  it('a single-view batch with no positive at all throws instead of returning NaN or 0', () => {
    expect(() => supConLoss(zA, null, tf.tensor1d([0, 1, 2, 3], 'int32'))).toThrow(/no anchor has a positive/);
  });

  it('temperature ≤ 0 or not finite', () => {
    for (const t of [0, -0.1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => ntXentLoss(zA, zB, { temperature: t })).toThrow(/ntXentLoss: temperature must be a finite number > 0/);
      expect(() => xclrLoss(zA, zB, s, { temperature: t })).toThrow(/temperature must be a finite number > 0/);
      expect(() => xclrLoss(zA, zB, s, { targetTemperature: t })).toThrow(/targetTemperature must be a finite number > 0/);
      expect(() => supConLoss(zA, zB, labels, { temperature: t })).toThrow(/temperature must be a finite number > 0/);
      expect(() => clipLoss(zA, zB, { logitScale: t })).toThrow(/logitScale must be a finite number > 0/);
    }
  });

  it('blockSize that is not a positive integer', () => {
    for (const b of [0, -1, 1.5, Number.NaN]) {
      expect(() => ntXentLoss(zA, zB, { blockSize: b })).toThrow(
        `ntXentLoss: blockSize must be a positive integer or 'auto', got ${b}`,
      );
      expect(() => xclrLoss(zA, zB, s, { blockSize: b })).toThrow(
        `xclrLoss: blockSize must be a positive integer or 'auto', got ${b}`,
      );
      expect(() => supConLoss(zA, zB, labels, { blockSize: b })).toThrow(
        `supConLoss: blockSize must be a positive integer or 'auto', got ${b}`,
      );
    }
  });

  it('bad mode and soft-target shapes', () => {
    expect(() => xclrLoss(zA, zB, s, { mode: 'both' as never })).toThrow("xclrLoss: mode must be 'all' or 'cross', got both");
    expect(() => softTargetCrossEntropy(tf.zeros([2, 3]) as tf.Tensor2D, tf.zeros([2, 2]) as tf.Tensor2D)).toThrow(
      'softTargetCrossEntropy: logits [2, 3] and targets [2, 2] must have the same shape',
    );
  });
});
