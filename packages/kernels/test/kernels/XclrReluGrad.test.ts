import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasmKernels } from '../backends.js';
import { expectMatch, onCpuAndWasm, rand } from '../compare.js';

// XclrReluGrad on wasm (this package's kernel) against tfjs's cpu backend.
beforeAll(useWasmKernels);

describe('ReLU gradient on wasm (one SIMD pass) matches cpu', () => {
  for (const shape of [[3, 5, 7, 4], [4099], [2, 3]]) {
    it(`[${shape}] with zeros, ties at 0 and a NaN`, async () => {
      const { cpu, wasm } = await onCpuAndWasm(() => {
        // Rounded values give exact zeros (and −0); one NaN shows the NaN passes through.
        const x = tf.reshape(tf.round(tf.mul(rand(shape), 2)), [-1]);
        const withNaN = tf.reshape(tf.concat([tf.tensor1d([Number.NaN]), tf.slice(x, 1)]), shape);
        const w = rand(shape);
        return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.relu(a), w)))(withNaN);
      });
      // Exactly equal, NaN where cpu has NaN (±0 count as equal).
      const same = Array.from(cpu[0]).every((c, i) => (Number.isNaN(c) ? Number.isNaN(wasm[0][i]) : c === wasm[0][i]));
      expect(Number.isNaN(cpu[0][0])).toBe(true);
      expect(same).toBe(true);
    });
  }

  it('runs as one kernel, and a second derivative takes the stock, differentiable path', async () => {
    await tf.setBackend('wasm');
    const x = rand([64, 8]);
    const profile = await tf.profile(() => tf.grad((a: tf.Tensor) => tf.sum(tf.square(tf.relu(a))))(x));
    expect(profile.kernels.map((k) => k.name)).toContain('XclrReluGrad');
    expect(profile.kernels.map((k) => k.name)).not.toContain('Step');
    const { cpu, wasm } = await onCpuAndWasm(() =>
      tf.grad((a: tf.Tensor) => tf.sum(tf.grad((b: tf.Tensor) => tf.sum(tf.mul(tf.relu(b), b)))(a)))(rand([6, 5])),
    );
    expectMatch(cpu, wasm);
    x.dispose();
  });
});
