import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { softTargetCrossEntropy } from '../src/index.js';
import { notSelfMask } from '../src/two-view.js';
import { expectClose, randn } from './helpers.js';

/** Row-stochastic targets over each row's other columns (0 at column r for row r < C). */
function targetsWithoutSelf(rows: number, cols: number, seed: number): tf.Tensor2D {
  return tf.tidy(() => {
    const e = tf.exp(randn(rows, cols, seed));
    const kept = tf.mul(e, notSelfMask(rows, cols));
    return tf.div(kept, tf.sum(kept, 1, true)) as tf.Tensor2D;
  });
}

describe('softTargetCrossEntropy excludeSelf', () => {
  for (const [rows, cols] of [
    [6, 6],
    [4, 9],
    [9, 4],
  ] as const) {
    for (const reduction of ['mean', 'none'] as const) {
      it(`equals the not-self mask in value and gradient ([${rows}, ${cols}], ${reduction})`, () => {
        const logits = randn(rows, cols, 7);
        const targets = targetsWithoutSelf(rows, cols, 8);
        const mask = notSelfMask(rows, cols);
        const lossOf = (options: Parameters<typeof softTargetCrossEntropy>[2]) => (x: tf.Tensor) =>
          tf.sum(
            tf.mul(
              softTargetCrossEntropy(x as tf.Tensor2D, targets, { ...options, reduction }),
              tf.range(1, 1 + (reduction === 'none' ? rows : 1)),
            ),
          );
        const withMask = tf.valueAndGrad(lossOf({ mask }))(logits);
        const before = tf.memory().numTensors;
        const withExclude = tf.valueAndGrad(lossOf({ excludeSelf: true }))(logits);
        expect(tf.memory().numTensors).toBe(before + 2); // the value and the gradient, nothing else
        expectClose(withExclude.value.dataSync(), withMask.value.dataSync(), 1e-6);
        expectClose(withExclude.grad.dataSync(), withMask.grad.dataSync(), 1e-6, 1e-7);
        // The self-pairs get no probability, so no gradient.
        const grad = withExclude.grad.arraySync() as number[][];
        for (let r = 0; r < Math.min(rows, cols); r++) expect(grad[r][r]).toBe(0);
        tf.dispose([logits, targets, mask, withMask.value, withMask.grad, withExclude.value, withExclude.grad]);
      });
    }
  }

  it('refuses a mask and excludeSelf together', () => {
    const logits = randn(3, 3, 1);
    const targets = targetsWithoutSelf(3, 3, 2);
    expect(() => softTargetCrossEntropy(logits, targets, { mask: notSelfMask(3, 3), excludeSelf: true })).toThrow(
      /mask or excludeSelf, not both/,
    );
  });
});
