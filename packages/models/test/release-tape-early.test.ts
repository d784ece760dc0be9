import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { batchNormTraining, releaseTapeEarly } from '../src/index.js';

let seed = 1;
const rand = (shape: number[]) => tf.randomNormal(shape, 0, 1, 'float32', seed++);

/** The gradients of `f` with respect to `vars`, each read back, and what the step left on the device. */
function gradients(f: () => tf.Scalar, vars: tf.Variable[]) {
  const before = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(f, vars);
  const out = { value: value.dataSync()[0], grads: vars.map((v) => Array.from(grads[v.name].dataSync())) };
  tf.dispose([value, ...Object.values(grads)]);
  return { ...out, leaked: tf.memory().numTensors - before };
}

/**
 * A gradient that hands the same tensor, dy itself, to both inputs: each input's producer then
 * receives that one tensor as its output gradient.
 */
const addPassingDy = tf.customGrad(((a: tf.Tensor, b: tf.Tensor) => ({
  value: tf.add(a, b),
  gradFunc: (dy: tf.Tensor) => [dy, dy],
})) as unknown as Parameters<typeof tf.customGrad>[0]);

/** An identity whose gradient is dy itself. */
const identityPassingDy = tf.customGrad(((a: tf.Tensor) => ({
  value: tf.mul(a, 1),
  gradFunc: (dy: tf.Tensor) => dy,
})) as unknown as Parameters<typeof tf.customGrad>[0]);

describe('releaseTapeEarly', () => {
  // A small network with the shapes of gradient flow a model has: a matmul, batch norm (a custom
  // gradient saving four tensors), ReLU, a residual add, an op with two outputs (split), a
  // gradient returning one tensor for two inputs, one returning its dy (a sum of two gradients), and a variable used twice.
  const w1 = tf.variable(rand([6, 8]), true, 'release_w1');
  const w2 = tf.variable(rand([8, 8]), true, 'release_w2');
  const scale = tf.variable(tf.add(rand([8]), 2), true, 'release_scale') as tf.Variable<tf.Rank.R1>;
  const offset = tf.variable(rand([8]), true, 'release_offset') as tf.Variable<tf.Rank.R1>;
  const x = rand([10, 6]);
  const vars = [w1, w2, scale, offset];
  const net = () => {
    const h = tf.matMul(x, w1);
    const { y } = batchNormTraining(h, scale, offset, 1e-3);
    const u = identityPassingDy(y);
    const r = tf.relu(tf.add(u, tf.mul(u, 0.5)));
    const s = tf.relu(addPassingDy(tf.matMul(r, w2), h));
    const [p, q] = tf.split(s, 2, 1);
    return tf.add(tf.sum(tf.square(p)), tf.sum(tf.mul(q, tf.slice(tf.matMul(r, w2), [0, 4], [10, 4])))) as tf.Scalar;
  };

  it('gives tfjs-core’s gradients and leaves no tensors behind', () => {
    const stock = gradients(net, vars);
    const released = gradients(releaseTapeEarly(net), vars);
    expect(released.value).toBe(stock.value);
    expect(released.grads).toEqual(stock.grads);
    expect(released.grads.flat().some((g) => g !== 0)).toBe(true);
    expect([stock.leaked, released.leaked]).toEqual([0, 0]);
  });

  it('frees each op’s saved tensors and output gradients as the backward pass goes', () => {
    // A chain of 12 wide layers; the first op's gradient sees how much is still held.
    const v = tf.variable(rand([4, 4096]), true, 'release_chain');
    let heldAtFirstOp = 0;
    const probe = tf.customGrad(((t: tf.Tensor) => ({
      value: tf.mul(t, 1),
      gradFunc: (dy: tf.Tensor) => {
        heldAtFirstOp = tf.memory().numBytes;
        return [dy];
      },
    })) as unknown as Parameters<typeof tf.customGrad>[0]);
    const chain = () => {
      let h = probe(v);
      for (let i = 0; i < 12; i++) h = tf.relu(tf.mul(tf.sin(h), 1.5));
      return tf.sum(h) as tf.Scalar;
    };
    const held = (f: () => tf.Scalar) => {
      tf.dispose(tf.variableGrads(f, [v]).grads);
      return heldAtFirstOp;
    };
    const layerBytes = 4 * 4096 * 4;
    const stock = held(chain);
    const released = held(releaseTapeEarly(chain));
    // Stock tfjs still holds every layer's saved inputs and outputs and every output's gradient.
    expect(stock - released).toBeGreaterThan(12 * 3 * layerBytes);
    expect(released).toBeLessThan(tf.memory().numBytes + 4 * layerBytes);
    v.dispose();
  });

  it('keeps the tape whole inside another gradient (second derivatives)', () => {
    const t = tf.tensor1d([-1.5, 0.3, 2]);
    const inner = (a: tf.Tensor) => tf.sum(tf.mul(tf.square(tf.relu(a)), tf.sin(a))) as tf.Scalar;
    const second = (wrap: (f: () => tf.Scalar) => () => tf.Scalar) =>
      Array.from(
        tf
          .grad((a: tf.Tensor) => tf.sum(tf.grad((b: tf.Tensor) => wrap(() => inner(b))())(a)))(t)
          .dataSync(),
      );
    expect(second(releaseTapeEarly)).toEqual(second((f) => f));
    t.dispose();
  });
});
