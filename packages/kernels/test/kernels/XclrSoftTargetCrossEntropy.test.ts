import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { SOFT_TARGET_CROSS_ENTROPY } from '../../src/index.js';
import { useWasmKernels } from '../backends.js';

// XclrSoftTargetCrossEntropy on wasm (this package's kernel) against a float64 reference written
// out here: per row, the softmax over the kept columns, −Σ t log p, and p · Σ t − t.
beforeAll(useWasmKernels);

function reference(x: Float32Array, t: Float32Array, rows: number, cols: number, excludeSelf: boolean, offset = 0) {
  const loss = new Float64Array(rows);
  const grad = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const kept = (c: number) => !(excludeSelf && c === r + offset);
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < cols; c++) if (kept(c)) max = Math.max(max, x[r * cols + c]);
    let z = 0;
    let mass = 0;
    for (let c = 0; c < cols; c++) {
      if (!kept(c)) continue;
      z += Math.exp(x[r * cols + c] - max);
      mass += t[r * cols + c];
    }
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      if (!kept(c)) {
        grad[i] = -t[i];
        continue;
      }
      const logP = x[i] - max - Math.log(z);
      loss[r] -= t[i] * logP;
      grad[i] = Math.exp(logP) * mass - t[i];
    }
  }
  return { loss, grad };
}

function runKernel(x: tf.Tensor2D, t: tf.Tensor2D, excludeSelf: boolean, selfColumnOffset = 0): tf.Tensor[] {
  return tf
    .engine()
    .runKernel(SOFT_TARGET_CROSS_ENTROPY, { logits: x, targets: t }, { excludeSelf, selfColumnOffset }) as tf.Tensor[];
}

/** |got − want| ≤ rtol · (|want| + max |want| · 1e-3) + 1e-7 for every entry. */
function expectNear(got: Float32Array, want: Float64Array, rtol: number, what: string) {
  let scale = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < want.length; i++) {
    const tol = rtol * (Math.abs(want[i]) + scale * 1e-3) + 1e-7;
    if (!(Math.abs(got[i] - want[i]) <= tol)) expect.fail(`${what}[${i}]: ${got[i]}, reference ${want[i]} (tolerance ${tol})`);
  }
}

/** Row-stochastic targets (scaled by `mass`), 0 on the self column (r + offset) where `excludeSelf`. */
function targetsFor(rows: number, cols: number, excludeSelf: boolean, mass: number, seed: number, offset = 0): tf.Tensor2D {
  return tf.tidy(() => {
    const p = tf.softmax(tf.randomNormal([rows, cols], 0, 2, 'float32', seed));
    const self = tf.oneHot(tf.range(offset, offset + rows, 1, 'int32'), cols);
    const keep = excludeSelf ? tf.sub(1, tf.cast(self, 'float32')) : tf.onesLike(p);
    const masked = tf.mul(p, keep);
    return tf.mul(tf.div(masked, tf.sum(masked, 1, true)), mass) as tf.Tensor2D;
  });
}

const CASES: [string, number, number, boolean, number, number, number?][] = [
  // name, rows, cols, excludeSelf, logit scale, target mass, self column offset
  ['square, self excluded', 32, 32, true, 10, 1],
  ['wide with ragged spans, self excluded', 9, 37, true, 10, 1],
  ['tall (rows past the last column keep every column)', 37, 9, true, 10, 1],
  ['no exclusion, odd width', 5, 7, false, 3, 1],
  ['large logits (τ = 0.01), targets of mass 2', 16, 24, true, 100, 2],
  ['a block of anchors from row 17 (self column r + 17)', 10, 40, true, 10, 1, 17],
  ['a block whose self columns reach the ragged end and past it', 10, 30, true, 10, 1, 23],
];

describe('soft-target cross-entropy kernel on wasm matches a float64 reference', () => {
  for (const [name, rows, cols, excludeSelf, scale, mass, offset = 0] of CASES) {
    it(name, async () => {
      await tf.setBackend('wasm');
      const x = tf.mul(tf.randomUniform([rows, cols], -1, 1, 'float32', 7), scale) as tf.Tensor2D;
      const t = targetsFor(rows, cols, excludeSelf, mass, 11, offset);
      const before = tf.memory().numTensors;
      const [loss, grad] = runKernel(x, t, excludeSelf, offset);
      expect(tf.memory().numTensors).toBe(before + 2);
      expect(loss.shape).toEqual([rows]);
      expect(grad.shape).toEqual([rows, cols]);
      const want = reference(x.dataSync() as Float32Array, t.dataSync() as Float32Array, rows, cols, excludeSelf, offset);
      expectNear(loss.dataSync() as Float32Array, want.loss, 2e-5, 'loss');
      expectNear(grad.dataSync() as Float32Array, want.grad, 2e-5, 'gradient');
      tf.dispose([x, t, loss, grad]);
    });
  }

  it('keeps a large self logit out of the max (others far below it still get their mass)', async () => {
    await tf.setBackend('wasm');
    const n = 8;
    // self logits 100, the others from −100 to −93: with self in the max, every exp would underflow
    const x = tf.tidy(() =>
      tf.add(tf.mul(tf.eye(n), 200), tf.sub(tf.tile(tf.reshape(tf.range(0, n, 1, 'float32'), [1, n]), [n, 1]), 100)),
    ) as tf.Tensor2D;
    const t = targetsFor(n, n, true, 1, 3);
    const [loss, grad] = runKernel(x, t, true);
    const want = reference(x.dataSync() as Float32Array, t.dataSync() as Float32Array, n, n, true);
    expectNear(loss.dataSync() as Float32Array, want.loss, 2e-5, 'loss');
    expectNear(grad.dataSync() as Float32Array, want.grad, 2e-5, 'gradient');
    tf.dispose([x, t, loss, grad]);
  });

  it('a NaN logit makes its row NaN and leaves the others; a single excluded column has no loss', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor2d([
      [1, 2, Number.NaN, 3, 4, 5],
      [1, 2, 3, 4, 5, 6],
    ]);
    const t = tf.fill([2, 6], 1 / 6) as tf.Tensor2D;
    const [loss] = runKernel(x, t, false);
    const values = loss.dataSync();
    expect(Number.isNaN(values[0])).toBe(true);
    expect(Number.isFinite(values[1])).toBe(true);
    const [one, oneGrad] = runKernel(tf.tensor2d([[3]]), tf.tensor2d([[0]]), true);
    expect(Array.from(one.dataSync())).toEqual([0]);
    expect(Math.abs(oneGrad.dataSync()[0])).toBe(0);
    tf.dispose([x, t, loss, one, oneGrad]);
  });

  it('names the shapes it cannot take', async () => {
    await tf.setBackend('wasm');
    expect(() => runKernel(tf.zeros([2, 3]) as tf.Tensor2D, tf.zeros([3, 2]) as tf.Tensor2D, false)).toThrow(
      /float32 \[R, C\] logits and targets of one shape.*\[2,3\].*\[3,2\]/,
    );
    expect(() => runKernel(tf.zeros([2, 3]) as tf.Tensor2D, tf.zeros([2, 3]) as tf.Tensor2D, true, -1)).toThrow(
      /integer ≥ 0.*offset -1/,
    );
  });
});
