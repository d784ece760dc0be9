import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { batchNormalization, batchNormTraining, conv2d } from '../src/index.js';
import { expectClose, valueAndGrads } from './layer-gradients.js';

// The drop-in layers against tfjs-layers' own, on the cpu backend (where no @xclr/kernels kernel
// is registered: the composed paths): the same outputs, gradients and moving statistics.

/** Values and gradients (w.r.t. the input and every trainable weight) of Σ w · layer(x) in training. */
const layerGrads = (layer: tfl.layers.Layer, x: tf.Tensor, w: tf.Tensor) =>
  valueAndGrads((a) => layer.apply(a, { training: true }) as tf.Tensor, layer, x, w);

/** Copies `from`'s weights into `to` (same architecture). */
const copyWeights = (from: tfl.layers.Layer, to: tfl.layers.Layer) => to.setWeights(from.getWeights());

describe('batchNormalization (training through batchNormTraining)', () => {
  for (const shape of [
    [4, 5, 5, 6],
    [16, 12],
  ]) {
    it(`matches tfl.layers.batchNormalization on [${shape}]: output, gradients, moving statistics`, async () => {
      await tf.setBackend('cpu');
      const args = { momentum: 0.9, epsilon: 1e-5 };
      const ours = batchNormalization(args);
      const theirs = tfl.layers.batchNormalization(args);
      const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 1), 3), 2);
      const w = tf.randomNormal(shape, 0, 1, 'float32', 2);
      ours.build(x.shape);
      theirs.build(x.shape);
      const c = shape.at(-1)!;
      theirs.setWeights([
        tf.randomNormal([c], 1, 0.3, 'float32', 3),
        tf.randomNormal([c], 0, 1, 'float32', 4),
        tf.zeros([c]),
        tf.ones([c]),
      ]);
      copyWeights(theirs, ours);
      expectClose(layerGrads(ours, x, w), layerGrads(theirs, x, w), 1e-4);
      // each ran two training steps (the value, then dx): the same moving averages
      const moving = (l: tfl.layers.Layer) =>
        l
          .getWeights()
          .slice(2)
          .map((t) => Array.from(t.dataSync()));
      expectClose(moving(ours), moving(theirs), 1e-5);
      expect(moving(ours)[0].some((v) => v !== 0)).toBe(true);
      expect(ours.getClassName()).toBe('BatchNormalization');
      // inference uses the moving statistics, as tfjs-layers does
      expectClose(
        [Array.from((ours.apply(x) as tf.Tensor).dataSync())],
        [Array.from((theirs.apply(x) as tf.Tensor).dataSync())],
        1e-5,
      );
    });
  }

  it('batchNormTraining names the shapes it rejects', () => {
    expect(() => batchNormTraining(tf.zeros([2, 3]), tf.ones([4]), tf.zeros([4]), 1e-3)).toThrow(
      /x must be \[\.\.\., C\] .* got x \[2,3\], scale \[4\], offset \[4\]/,
    );
  });
});

describe('conv2d (one FusedConv2D kernel in training)', () => {
  const cases = [
    { activation: 'relu', padding: 'valid', strides: 1, useBias: true },
    { activation: 'linear', padding: 'same', strides: 2, useBias: false },
    { activation: 'relu', padding: 'same', strides: 1, useBias: true },
  ] as const;
  for (const c of cases) {
    it(`matches tfl.layers.conv2d (${c.activation}, ${c.padding}, stride ${c.strides}, bias ${c.useBias})`, async () => {
      await tf.setBackend('cpu');
      const args = { filters: 5, kernelSize: 3, ...c };
      const ours = conv2d(args);
      const theirs = tfl.layers.conv2d(args);
      const x = tf.randomNormal([2, 7, 7, 3], 0, 1, 'float32', 5);
      const outShape = (theirs.apply(x) as tf.Tensor).shape;
      ours.build(x.shape);
      copyWeights(theirs, ours);
      const w = tf.randomNormal(outShape, 0, 1, 'float32', 6);
      expectClose(layerGrads(ours, x, w), layerGrads(theirs, x, w), 1e-4);
      expect(ours.getClassName()).toBe('Conv2D');
    });
  }

  it('runs one FusedConv2D forward, and no input gradient for a first layer', async () => {
    await tf.setBackend('cpu');
    const layer = conv2d({ filters: 4, kernelSize: 3, activation: 'relu' });
    const x = tf.randomNormal([2, 6, 6, 1]);
    layer.build(x.shape);
    const vars = layer.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val);
    const profile = await tf.profile(
      () => tf.variableGrads(() => tf.sum(layer.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars).value,
    );
    const names = profile.kernels.map((k) => k.name);
    expect(names).toContain('FusedConv2D');
    expect(names).toContain('Conv2DBackpropFilter');
    expect(names).not.toContain('Conv2DBackpropInput');
    expect(names).not.toContain('Relu');
    expect(names.filter((n) => n === 'Add')).toHaveLength(0);
  });
});
