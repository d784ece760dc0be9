import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerLeanGradients } from '../src/index.js';
import { useBackend } from './backends.js';
import { expectMatch } from './compare.js';

// The lean Mean, Sum and FusedBatchNorm gradients against tfjs-core's own, on the cpu backend
// (where the Relu gradient is tfjs-core's formula: its one-pass kernel is tested on wasm).
const NAMES = ['Mean', 'Sum', 'FusedBatchNorm', 'Relu'];
let stock: tf.GradConfig[] = [];
let lean: tf.GradConfig[] = [];

beforeAll(async () => {
  await useBackend('cpu');
  stock = NAMES.map((n) => tf.getGradient(n) as tf.GradConfig);
  registerLeanGradients();
  lean = NAMES.map((n) => tf.getGradient(n) as tf.GradConfig);
});

let seed = 1;
const rand = (shape: number[]) => tf.randomNormal(shape, 0, 1, 'float32', seed++);

/** Gradients of `f` at `xs` with the stock configs, then with the lean ones. */
function both(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[]): { stock: Float32Array[]; lean: Float32Array[] } {
  const run = (configs: tf.GradConfig[]) => {
    for (const c of configs) tf.registerGradient(c);
    const grads = tf.grads(f)(xs);
    const out = grads.map((g) => g.dataSync() as Float32Array);
    tf.dispose(grads);
    return out;
  };
  const result = { stock: run(stock), lean: run(lean) };
  for (const c of lean) tf.registerGradient(c);
  return result;
}

describe('lean gradients match tfjs-core', () => {
  it('replaces exactly Mean, Sum, FusedBatchNorm and Relu', () => {
    expect(NAMES.map((n, i) => lean[i] !== stock[i] && tf.getGradient(n) === lean[i])).toEqual([true, true, true, true]);
  });

  it('Relu, with zeros, NaN and a second derivative, where no one-pass kernel is registered (cpu)', () => {
    const x = tf.tensor1d([-2, -0, 0, 0.5, Number.NaN, 3, -1e-8]);
    const { stock: s, lean: l } = both((a) => tf.sum(tf.mul(tf.relu(a), tf.range(1, 8))), [x]);
    expect(Array.from(l[0])).toEqual(Array.from(s[0]));
    const { stock: s2, lean: l2 } = both((a) => tf.sum(tf.grad((b: tf.Tensor) => tf.sum(tf.square(tf.relu(b))))(a)), [x]);
    expect(Array.from(l2[0])).toEqual(Array.from(s2[0]));
    x.dispose();
  });

  for (const [shape, axis, keepDims] of [
    [[4, 5, 6], [0, 1], false],
    [[4, 5, 6], 2, true],
    [[4, 5, 6], [0, 1, 2], false],
    [[7, 3], 0, true],
  ] as [number[], number | number[], boolean][]) {
    it(`Mean and Sum of [${shape}] over ${JSON.stringify(axis)}${keepDims ? ', keepDims' : ''}`, () => {
      const x = rand(shape);
      const w = rand(tf.mean(x, axis, keepDims).shape);
      const { stock: s, lean: l } = both(
        (a) => tf.add(tf.sum(tf.mul(tf.mean(a, axis, keepDims), w)), tf.sum(tf.mul(tf.sum(a, axis, keepDims), w))),
        [x],
      );
      expectMatch(s, l, 1e-6);
      tf.dispose([x, w]);
    });
  }

  it('a training-mode batch norm (statistics from tf.moments, [C] and [1, 1, 1, C]), every input', () => {
    const x = rand([4, 5, 5, 6]);
    const gamma = rand([6]);
    const beta = rand([6]);
    const w = rand(x.shape);
    const f = (keepDims: boolean) => (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(a, [0, 1, 2], keepDims);
      const [b1, g1] = keepDims ? [tf.reshape(b, mean.shape), tf.reshape(g, mean.shape)] : [b, g];
      return tf.sum(tf.mul(tf.batchNorm(a, mean, variance, b1, g1, 1e-3), w));
    };
    const flat = both(f(false) as never, [x, gamma, beta]);
    expectMatch(flat.stock, flat.lean, 1e-4);
    // tfjs-core's own gradient fails on [1, 1, 1, C] statistics (it reshapes a full-size product
    // to the statistics' shape); the lean one gives the same gradients as with [C].
    const kept = tf.grads(f(true) as never)([x, gamma, beta]);
    expectMatch(
      flat.stock,
      kept.map((g) => g.dataSync() as Float32Array),
      1e-4,
    );
    tf.dispose([x, gamma, beta, w, ...kept]);
  });

  it('batch norm with statistics per element and as inputs: gradients for x, mean, variance, offset, scale', () => {
    const shape = [3, 4, 5];
    const [x, mean, offset, scale, w] = [rand(shape), rand(shape), rand(shape), rand(shape), rand(shape)];
    const variance = tf.add(tf.abs(rand(shape)), 0.2);
    const f = (a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: tf.Tensor, s: tf.Tensor) =>
      tf.sum(tf.mul(tf.batchNorm(a, m, v, o, s, 1e-3), w));
    const { stock: s, lean: l } = both(f as never, [x, mean, variance, offset, scale]);
    expect(l).toHaveLength(5);
    expectMatch(s, l, 1e-5);
    tf.dispose([x, mean, variance, offset, scale, w]);
  });

  it('leaks no tensors', () => {
    const x = rand([4, 3, 3, 5]);
    const gamma = rand([5]);
    const beta = rand([5]);
    const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(a, [0, 1, 2]);
      return tf.sum(tf.square(tf.batchNorm(a, mean, variance, b, g, 1e-3)));
    };
    tf.dispose(tf.grads(f as never)([x, gamma, beta]));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.dispose(tf.grads(f as never)([x, gamma, beta]));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, gamma, beta]);
  });
});
