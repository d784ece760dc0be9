import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, it } from 'vitest';
import { useWasmKernels } from '../backends.js';
import { expectMatch, onCpuAndWasm, rand } from '../compare.js';

// training-step on wasm (this package's kernel) against tfjs's cpu backend.
beforeAll(useWasmKernels);

describe('training steps on wasm match cpu', () => {
  it('a ConvNet + MLP forward and backward (conv, pool, dense, batch statistics)', async () => {
    const { cpu, wasm } = await onCpuAndWasm(() => {
      const x = rand([8, 12, 12, 1]) as tf.Tensor4D;
      const w1 = tf.mul(rand([3, 3, 1, 8]), 0.3);
      const w2 = tf.mul(rand([3, 3, 8, 16]), 0.1);
      const w3 = tf.mul(rand([3 * 3 * 16, 10]), 0.1);
      const net = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
        let h = tf.relu(tf.conv2d(x, a as tf.Tensor4D, 1, 'same')) as tf.Tensor4D;
        h = tf.maxPool(h, 2, 2, 'valid');
        h = tf.relu(tf.conv2d(h, b as tf.Tensor4D, 1, 'same'));
        const { mean, variance } = tf.moments(h, [0, 1, 2]);
        h = tf.batchNorm(h, mean, variance, tf.zeros([16]), tf.ones([16]), 1e-3) as tf.Tensor4D;
        h = tf.avgPool(h, 2, 2, 'valid');
        return tf.matMul(tf.reshape(h, [8, -1]), c);
      };
      const out = net(w1, w2, w3);
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.mean(tf.square(net(a, b, c))))([w1, w2, w3]);
      return [out, ...grads];
    });
    // A whole network compounds float32 rounding (batch statistics): 1e-3 of each output's range.
    expectMatch(cpu, wasm, 1e-3, 1);
  });
});
