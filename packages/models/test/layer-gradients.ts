import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { expect } from 'vitest';

// Comparing the drop-in layers with tfjs-layers' own: values and gradients of a weighted sum.

/** Σ w · f(x) in training: the value, its gradient w.r.t. x and w.r.t. each trainable weight of `layer`. */
export function valueAndGrads(f: (x: tf.Tensor) => tf.Tensor, layer: tfl.layers.Layer, x: tf.Tensor, w: tf.Tensor): number[][] {
  return tf.tidy(() => {
    const loss = (a: tf.Tensor) => tf.sum(tf.mul(f(a), w)) as tf.Scalar;
    const vars = layer.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val);
    const { value, grads } = tf.variableGrads(() => loss(x), vars);
    const dx = tf.grad(loss)(x);
    return [value, dx, ...vars.map((v) => grads[v.name])].map((t) => Array.from(t.dataSync()));
  });
}

/** Every entry within `tol` of the reference, relative to the larger of 1 and its output's largest entry. */
export function expectClose(a: number[][], b: number[][], tol: number): void {
  expect(a.length).toBe(b.length);
  a.forEach((row, k) => {
    const scale = Math.max(1, ...b[k].map(Math.abs));
    row.forEach((v, i) => {
      if (!(Math.abs(v - b[k][i]) <= tol * scale)) expect.fail(`output ${k} [${i}]: ${v} vs ${b[k][i]}`);
    });
  });
}
