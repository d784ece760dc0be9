import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ADAM_UPDATE, fusedAdam } from '../src/index.js';
import { useBackend } from './backends.js';
import { expectMatch } from './compare.js';

// fusedAdam against tf.train.adam (the reference: the same update in 13 stock kernels) on the
// same variables and gradients, on each backend the fused kernel is registered for.
const SHAPES = [[33, 17], [17], [4, 3, 3, 2]];

/** Variables named per run, and `steps` random gradient maps for them (gradients of varied scale). */
let problems = 0;
function problem(tag: string, steps: number) {
  tag = `${tag}${problems++}`;
  const normal = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);
  const vars = SHAPES.map((s, i) => tf.variable(normal(s, i + 1), true, `${tag}/w${i}`));
  const grads = Array.from({ length: steps }, (_, k) =>
    Object.fromEntries(
      vars.map((v, i) => [v.name, tf.tidy(() => tf.mul(normal(v.shape, 100 * (k + 1) + i), 10 ** ((k % 3) - 1)))]),
    ),
  );
  return { vars, grads };
}

// The reference rounds to float32 after each of its 13 ops, the fused step once: differences
// scale with the step (learning rate × O(1)), not with the value, hence the absolute floor.
const FLOOR = 0.05;
const arrays = (ts: tf.Tensor[]) => ts.map((t) => new Float32Array(t.dataSync()));

async function weightsOf(opt: tf.Optimizer) {
  return (await opt.getWeights()).map((w) => ({
    name: w.name.replace(/^(ref|fused)\d+\//, ''),
    values: new Float32Array(w.tensor.dataSync()),
  }));
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`fusedAdam on ${backend}`, () => {
    it('sets up', async () => {
      await useBackend(backend);
      fusedAdam().dispose();
      expect(tf.getKernel(ADAM_UPDATE, backend)).toBeDefined();
    });

    it('takes the steps tf.train.adam takes, one kernel per variable', async () => {
      const ref = problem('ref', 6);
      const ours = problem('fused', 6);
      const refOpt = tf.train.adam(0.01);
      const opt = fusedAdam(0.01);
      for (let k = 0; k < 6; k++) {
        refOpt.applyGradients(ref.grads[k]);
        if (k === 0) {
          const profile = await tf.profile(() => opt.applyGradients(ours.grads[k]));
          expect(profile.kernels.filter((x) => x.name === ADAM_UPDATE)).toHaveLength(SHAPES.length);
        } else {
          opt.applyGradients(ours.grads[k]);
        }
      }
      expectMatch(arrays(ref.vars), arrays(ours.vars), 1e-5, FLOOR);
      // Same state under the same names: checkpoints move between the two.
      const [a, b] = [await weightsOf(refOpt), await weightsOf(opt)];
      expect(b.map((w) => w.name)).toEqual(a.map((w) => w.name));
      expectMatch(
        a.map((w) => w.values),
        b.map((w) => w.values),
        1e-5,
        FLOOR,
      );
      tf.dispose([...ref.vars, ...ours.vars, ...ref.grads.flatMap(Object.values), ...ours.grads.flatMap(Object.values)]);
      refOpt.dispose();
      opt.dispose();
    });

    it('continues from tf.train.adam weights as tf.train.adam does', async () => {
      const ref = problem('ref', 4);
      const ours = problem('fused', 4);
      const first = tf.train.adam(0.05);
      for (const g of ref.grads.slice(0, 2)) first.applyGradients(g);
      // The same two steps for the other variables, then their state handed to fusedAdam.
      const handOver = tf.train.adam(0.05);
      for (const g of ours.grads.slice(0, 2)) handOver.applyGradients(g);
      const opt = fusedAdam(0.05);
      await opt.setWeights((await handOver.getWeights()).map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) })));
      for (const g of ref.grads.slice(2)) first.applyGradients(g);
      for (const g of ours.grads.slice(2)) opt.applyGradients(g);
      expect(opt.iterations).toBe(4);
      expectMatch(arrays(ref.vars), arrays(ours.vars), 1e-5, FLOOR);
      tf.dispose([...ref.vars, ...ours.vars, ...ref.grads.flatMap(Object.values), ...ours.grads.flatMap(Object.values)]);
      for (const o of [first, handOver, opt]) o.dispose();
    });

    it('leaks no tensors over steps', () => {
      const { vars, grads } = problem('leak', 1);
      const opt = fusedAdam(0.01);
      opt.applyGradients(grads[0]);
      const before = tf.memory().numTensors;
      for (let k = 0; k < 5; k++) opt.applyGradients(grads[0]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([...vars, ...Object.values(grads[0])]);
      opt.dispose();
    });

    it("falls back to tf.AdamOptimizer's step where the kernel is not registered", () => {
      const ref = problem('ref', 2);
      const ours = problem('fused', 2);
      const refOpt = tf.train.adam(0.01);
      const opt = fusedAdam(0.01);
      const kernel = tf.getKernel(ADAM_UPDATE, backend) as tf.KernelConfig;
      tf.unregisterKernel(ADAM_UPDATE, backend);
      try {
        for (let k = 0; k < 2; k++) {
          refOpt.applyGradients(ref.grads[k]);
          opt.applyGradients(ours.grads[k]);
        }
      } finally {
        tf.registerKernel(kernel);
      }
      expectMatch(arrays(ref.vars), arrays(ours.vars), 1e-6);
      tf.dispose([...ref.vars, ...ours.vars, ...ref.grads.flatMap(Object.values), ...ours.grads.flatMap(Object.values)]);
      refOpt.dispose();
      opt.dispose();
    });

    it('names the input with a wrong shape', () => {
      const value = tf.zeros([3, 2]);
      expect(() => tf.engine().runKernel(ADAM_UPDATE, { value, m: value, v: value, gradient: tf.zeros([2, 2]) }, {})).toThrow(
        /gradient must be float32 \[3, 2\] like value, got float32 \[2, 2\]/,
      );
      tf.dispose(value);
    });
  });
}
