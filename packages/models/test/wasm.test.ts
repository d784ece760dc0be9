import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { useFastestBackend } from '@xclr/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BATCH_NORM_APPLY_KERNEL,
  BATCH_NORM_GRAD_KERNEL,
  batchNormalization,
  CHANNEL_MOMENTS_KERNEL,
  conv2d,
  SUM_OF_SQUARES_KERNEL,
  trainStep,
} from '../src/index.js';

// On wasm, @xclr/kernels registers the batch-norm kernels these layers call: the same outputs,
// gradients and moving statistics as tfjs-layers' own layers computed on the cpu backend.

beforeAll(async () => {
  await useFastestBackend({ backend: 'wasm', threads: 1, native: false });
});

/** Σ w · layer(x) in training: the value, dx and the gradient of every trainable weight, then the weights. */
function trainingPass(layer: tfl.layers.Layer, x: tf.Tensor, w: tf.Tensor): Float32Array[] {
  return tf.tidy(() => {
    const vars = layer.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val);
    const f = (a: tf.Tensor) => tf.sum(tf.mul(layer.apply(a, { training: true }) as tf.Tensor, w));
    const dx = tf.grad(f)(x);
    const { value, grads } = tf.variableGrads(() => f(x) as tf.Scalar, vars);
    return [value, dx, ...vars.map((v) => grads[v.name]), ...layer.getWeights()].map((t) => t.dataSync() as Float32Array);
  });
}

/** The same pass with the layer built by `make`, on `backend`, from the same seeded inputs and weights. */
async function onBackend(
  backend: string,
  make: () => tfl.layers.Layer,
  xShape: number[],
  yShape: number[],
  weights: (shapes: number[][]) => tf.Tensor[],
) {
  await tf.setBackend(backend);
  const layer = make();
  const x = tf.randomNormal(xShape, 1, 2, 'float32', 21);
  layer.build(x.shape);
  layer.setWeights(weights(layer.getWeights().map((t) => t.shape)));
  const w = tf.randomNormal(yShape, 0, 1, 'float32', 22);
  const profile = await tf.profile(() => {
    trainingPass(layer, x, w);
    return [];
  });
  const out = trainingPass(layer, x, w);
  tf.dispose([x, w]);
  return { out, kernels: profile.kernels.map((k) => k.name) };
}

function expectClose(got: Float32Array[], want: Float32Array[], rtol: number) {
  expect(got.length).toBe(want.length);
  want.forEach((v, k) => {
    const scale = Math.max(1, ...Array.from(v, Math.abs));
    v.forEach((e, i) => {
      if (!(Math.abs(got[k][i] - e) <= rtol * scale)) expect.fail(`output ${k} [${i}]: wasm ${got[k][i]}, cpu ${e}`);
    });
  });
}

describe('the layers on wasm take @xclr/kernels and match tfjs-layers on cpu', () => {
  const seeded = (shapes: number[][]) => shapes.map((s, k) => tf.randomNormal(s, k === 3 ? 2 : 0.5, 0.3, 'float32', 30 + k));

  it('batchNormalization over [4, 6, 6, 16]: XclrChannelMoments and XclrBatchNormGrad', async () => {
    const args = { momentum: 0.9, epsilon: 1e-5 };
    const shape = [4, 6, 6, 16];
    const cpu = await onBackend('cpu', () => tfl.layers.batchNormalization(args), shape, shape, seeded);
    const wasm = await onBackend('wasm', () => batchNormalization(args), shape, shape, seeded);
    expect(wasm.kernels).toContain(CHANNEL_MOMENTS_KERNEL);
    expect(wasm.kernels).toContain(BATCH_NORM_GRAD_KERNEL);
    expect(wasm.kernels).not.toContain('Square');
    expectClose(wasm.out, cpu.out, 1e-4);
  });

  it('conv2d with a ReLU: one FusedConv2D, no Relu kernel', async () => {
    const args = { filters: 8, kernelSize: 3, activation: 'relu' as const };
    const cpu = await onBackend('cpu', () => tfl.layers.conv2d(args), [2, 9, 9, 4], [2, 7, 7, 8], seeded);
    const wasm = await onBackend('wasm', () => conv2d(args), [2, 9, 9, 4], [2, 7, 7, 8], seeded);
    expect(wasm.kernels).toContain('FusedConv2D');
    expect(wasm.kernels).not.toContain('Relu');
    expectClose(wasm.out, cpu.out, 1e-4);
  });

  it('batchNormalization with batchGroups 2 over [8, 5, 5, 16]: XclrBatchNormApply; each half as its own call on cpu', async () => {
    const args = { momentum: 0.9, epsilon: 1e-5 };
    const shape = [8, 5, 5, 16];
    const pass = async (backend: string, make: () => tfl.layers.Layer, run: (l: tfl.layers.Layer, a: tf.Tensor) => tf.Tensor) => {
      await tf.setBackend(backend);
      const layer = make();
      const x = tf.add(tf.randomNormal(shape, 1, 2, 'float32', 21), tf.reshape(tf.range(0, 8), [8, 1, 1, 1]));
      layer.build(x.shape);
      layer.setWeights(seeded(layer.getWeights().map((t) => t.shape)));
      const w = tf.randomNormal(shape, 0, 1, 'float32', 22);
      const profile = await tf.profile(() => [run(layer, x)]);
      const out = tf.tidy(() => {
        const vars = layer.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val);
        const f = (a: tf.Tensor) => tf.sum(tf.mul(run(layer, a), w));
        const dx = tf.grad(f)(x);
        const { value, grads } = tf.variableGrads(() => f(x) as tf.Scalar, vars);
        return [value, dx, ...vars.map((v) => grads[v.name]), ...layer.getWeights()].map((t) => t.dataSync() as Float32Array);
      });
      return { out, kernels: profile.kernels.map((k) => k.name) };
    };
    const halves = (l: tfl.layers.Layer, a: tf.Tensor) =>
      tf.concat(tf.split(a, 2).map((h) => l.apply(h, { training: true }) as tf.Tensor));
    const cpu = await pass('cpu', () => tfl.layers.batchNormalization(args), halves);
    const wasm = await pass(
      'wasm',
      () => batchNormalization(args),
      (l, a) => l.apply(a, { training: true, batchGroups: 2 }) as tf.Tensor,
    );
    expect(wasm.kernels).toEqual(expect.arrayContaining([CHANNEL_MOMENTS_KERNEL, BATCH_NORM_APPLY_KERNEL]));
    expectClose(wasm.out, cpu.out, 1e-4);
  });

  it("a training step's gradient norm through XclrSumOfSquares: no Square kernel", async () => {
    await tf.setBackend('wasm');
    const v = tf.variable(tf.randomNormal([300, 100], 0, 1, 'float32', 51));
    const w = tf.randomNormal([300, 100], 0, 1, 'float32', 52);
    let gradNorm = 0;
    const profile = await tf.profile(() => {
      gradNorm = trainStep(() => tf.sum(tf.mul(v, w)) as tf.Scalar, { optimizer: tf.train.sgd(0), variables: [v] }).gradNorm;
      return [];
    });
    const names = profile.kernels.map((k) => k.name);
    expect(names).toContain(SUM_OF_SQUARES_KERNEL);
    expect(names).not.toContain('Square');
    // the gradient is w: its norm
    const want = Math.sqrt((await w.data<'float32'>()).reduce((a, x) => a + x * x, 0));
    expect(Math.abs(gradNorm - want)).toBeLessThan(1e-5 * want);
    tf.dispose([v, w]);
  });
});
