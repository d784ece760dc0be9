import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { conv2d, maxPooling2d } from '../src/index.js';
import { expectClose, valueAndGrads } from './layer-gradients.js';

// maxPooling2d right after conv2d's ReLU (the ReLU mask on the pooled gradient, none on the
// convolution's output, the bias gradient from the pooled sums) against tfjs-layers' two layers,
// on the cpu backend: the same outputs and gradients.

type PoolArgs = Parameters<typeof tfl.layers.maxPooling2d>[0];

function stack(conv: tfl.layers.Layer, pool: tfl.layers.Layer) {
  return (x: tf.Tensor) => pool.apply(conv.apply(x, { training: true }), { training: true }) as tf.Tensor;
}

/** The kernels of one gradient step of `conv`'s weights through Σ f(x), profiled on cpu. */
async function profiledStep(conv: tfl.layers.Layer, x: tf.Tensor, f: (x: tf.Tensor) => tf.Tensor) {
  conv.build(x.shape);
  const vars = conv.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val);
  return (await tf.profile(() => tf.variableGrads(() => tf.sum(f(x)) as tf.Scalar, vars).value)).kernels;
}

describe('maxPooling2d after conv2d with a ReLU', () => {
  const cases: { name: string; pool: PoolArgs; size: number }[] = [
    { name: '2 × 2 windows, an odd map (rows past the last window)', pool: { poolSize: 2 }, size: 9 },
    {
      name: '3 × 3 windows, stride 2, same padding (windows overlap)',
      pool: { poolSize: 3, strides: 2, padding: 'same' },
      size: 8,
    },
  ];
  for (const c of cases) {
    it(`matches tfjs-layers' layers: ${c.name}`, async () => {
      await tf.setBackend('cpu');
      const convArgs = { filters: 6, kernelSize: 3, activation: 'relu' as const };
      const ours = { conv: conv2d(convArgs), pool: maxPooling2d(c.pool) };
      const theirs = { conv: tfl.layers.conv2d(convArgs), pool: tfl.layers.maxPooling2d(c.pool) };
      const x = tf.randomNormal([3, c.size, c.size, 2], 0, 1, 'float32', 7);
      theirs.conv.build(x.shape);
      ours.conv.build(x.shape);
      // A negative bias on half the channels: whole windows are 0 after the ReLU there, where the
      // pooled gradient must be masked.
      const [kernel] = theirs.conv.getWeights();
      ours.conv.setWeights([kernel, tf.tensor1d([-3, 0.5, -3, 0.2, -3, 0])]);
      theirs.conv.setWeights(ours.conv.getWeights());
      const out = stack(theirs.conv, theirs.pool)(x);
      expect(Array.from(out.dataSync()).filter((v) => v === 0).length).toBeGreaterThan(out.size / 4);
      const w = tf.randomNormal(out.shape, 0, 1, 'float32', 8);
      expectClose(
        valueAndGrads(stack(ours.conv, ours.pool), ours.conv, x, w),
        valueAndGrads(stack(theirs.conv, theirs.pool), theirs.conv, x, w),
        1e-5,
      );
      expect(ours.pool.getClassName()).toBe('MaxPooling2D');
    });
  }

  it('masks the pooled gradient, not the convolution output', async () => {
    await tf.setBackend('cpu');
    const conv = conv2d({ filters: 4, kernelSize: 3, activation: 'relu' });
    const pool = maxPooling2d({ poolSize: 2 });
    const kernels = await profiledStep(conv, tf.randomNormal([2, 10, 10, 3]), stack(conv, pool));
    // cpu's Relu gradient is dy · step(y): one Step, on the pooled [2, 4, 4, 4]
    const steps = kernels.filter((k) => k.name === 'Step');
    expect(steps.map((k) => k.inputShapes[0])).toEqual([[2, 4, 4, 4]]);
    // the bias gradient sums the pooled gradient
    const sums = kernels.filter((k) => k.name === 'Sum');
    expect(sums.map((k) => k.inputShapes[0])).toContainEqual([2, 4, 4, 4]);
    expect(sums.map((k) => k.inputShapes[0])).not.toContainEqual([2, 8, 8, 4]);
  });

  it("is tfjs-layers' layer on other inputs: the ReLU's gradient stays with the convolution", async () => {
    await tf.setBackend('cpu');
    const conv = conv2d({ filters: 4, kernelSize: 3, activation: 'relu' });
    const pool = maxPooling2d({ poolSize: 2 });
    // the pool's input is the ReLU output plus 0: a new tensor, not marked
    const kernels = await profiledStep(
      conv,
      tf.randomNormal([2, 10, 10, 3]),
      (x) => pool.apply(tf.add(conv.apply(x, { training: true }) as tf.Tensor, 0)) as tf.Tensor,
    );
    const steps = kernels.filter((k) => k.name === 'Step');
    expect(steps.map((k) => k.inputShapes[0])).toEqual([[2, 8, 8, 4]]);
  });
});
