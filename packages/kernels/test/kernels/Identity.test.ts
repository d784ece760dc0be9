import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasmKernels } from '../backends.js';
import { expectMatch, onCpuAndWasm, rand } from '../compare.js';

// Identity on wasm (this package's kernel) against tfjs's cpu backend.
beforeAll(useWasmKernels);

describe('Identity on wasm shares the buffer', () => {
  it('a clone outlives its source, variables assigned from clones keep their values, and nothing leaks', async () => {
    await useWasmKernels();
    const before = tf.memory();
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const y = tf.clone(x);
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1, 2, 3, 4]);
    const v = tf.variable(y);
    y.dispose();
    const next = tf.tidy(() => tf.add(v, 1) as tf.Tensor2D);
    v.assign(next);
    next.dispose();
    expect(Array.from(await v.data())).toEqual([2, 3, 4, 5]);
    const strings = tf.tensor1d(['a', 'b'], 'string');
    const s = tf.clone(strings);
    strings.dispose();
    expect(await s.data()).toEqual(['a', 'b']);
    tf.dispose([v, s]);
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });

  it('gradients through kernels that save their inputs match cpu', async () => {
    const { cpu, wasm } = await onCpuAndWasm(() => {
      const x = rand([16, 12]);
      return tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.logSoftmax(tf.matMul(a, b) as tf.Tensor2D), tf.exp(tf.slice(a, [0, 0], [16, 1])))),
      )([x, rand([12, 9])]);
    });
    expectMatch(cpu, wasm);
  });
});
