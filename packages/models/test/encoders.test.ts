import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import { takesBatchGroups } from '../src/batch-normalization-layer.js';
import { batchNormalization, ContrastiveModel, createEncoder, encoderWidth } from '../src/index.js';

describe('encoders', () => {
  it('MLP 784-512-512-128: shapes and parameter count', () => {
    const m = createEncoder({ type: 'mlp', inputShape: [28, 28, 1], hidden: [512, 512], output: 128 });
    expect(m.countParams()).toBe(784 * 512 + 512 + 512 * 512 + 512 + 512 * 128 + 128);
    expect((m.predict(tf.zeros([3, 28, 28, 1])) as tf.Tensor).shape).toEqual([3, 128]);
  });

  it('ConvNet c32-pool-c64-pool-d128 on 28×28×1', () => {
    const m = createEncoder({ type: 'convnet', inputShape: [28, 28, 1] });
    expect(m.countParams()).toBe(9 * 32 + 32 + 9 * 32 * 64 + 64 + 5 * 5 * 64 * 128 + 128);
    expect((m.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor).shape).toEqual([2, 128]);
  });

  it('ResNet-18 (CIFAR stem) has about 11.2 M parameters at width 1 and 512-d features', () => {
    const m = createEncoder({ type: 'resnet18', inputShape: [32, 32, 3] });
    // 11,168,832 trainable + 9,600 batch-norm moving statistics: the torchvision count without fc.
    expect(m.countParams()).toBeGreaterThan(11.1e6);
    expect(m.countParams()).toBeLessThan(11.25e6);
    expect(encoderWidth({ type: 'resnet18', inputShape: [32, 32, 3] })).toBe(512);
    const half = createEncoder({ type: 'resnet18', inputShape: [32, 32, 3], width: 0.5 });
    expect(half.countParams()).toBeLessThan(m.countParams() / 3);
    expect((half.predict(tf.zeros([2, 32, 32, 3])) as tf.Tensor).shape).toEqual([2, 256]);
  });

  it('ContrastiveModel: the head feeds the loss, evaluation uses the backbone by default', () => {
    const model = new ContrastiveModel(
      { encoder: { type: 'mlp', inputShape: [8, 8, 1], hidden: [32] }, head: { hidden: 32, output: 16 } },
      1,
    );
    const x = tf.randomNormal([4, 8, 8, 1]) as tf.Tensor4D;
    expect(model.project(x).shape).toEqual([4, 16]);
    expect(model.embed(x).shape).toEqual([4, 32]);
    expect(model.embed(x, 'head').shape).toEqual([4, 16]);
    expect(() => createEncoder({ type: 'vit' } as never)).toThrow(/unknown encoder type "vit"/);
  });

  it('a seed makes the initial weights reproducible', () => {
    const cfg = { encoder: { type: 'mlp' as const, inputShape: [4, 4, 1] as [number, number, number], hidden: [8] }, head: null };
    const a = new ContrastiveModel(cfg, 5).trainableWeights.map((w) => Array.from(w.dataSync()));
    const b = new ContrastiveModel(cfg, 5).trainableWeights.map((w) => Array.from(w.dataSync()));
    expect(a).toEqual(b);
  });

  describe('projectViews', () => {
    const views = (side = 8) => [1, 2].map((seed) => tf.randomNormal([6, side, side, 1], 0, 1, 'float32', seed)) as tf.Tensor4D[];
    const close = (x: tf.Tensor, y: tf.Tensor) => {
      expect(x.shape).toEqual(y.shape);
      expect(tf.max(tf.abs(tf.sub(x, y))).dataSync()[0]).toBeLessThan(1e-5);
    };

    it('encodes both views in one pass where no layer depends on the batch: same values and gradients', async () => {
      for (const encoder of [
        { type: 'mlp' as const, inputShape: [8, 8, 1] as [number, number, number], hidden: [16] },
        { type: 'convnet' as const, inputShape: [14, 14, 1] as [number, number, number], filters: [4, 8], output: 8 },
      ]) {
        const model = new ContrastiveModel({ encoder, head: null }, 3);
        expect(model.batchDependent).toBe(false);
        const [a, b] = views(encoder.inputShape[0]);
        const loss = (za: tf.Tensor, zb: tf.Tensor) => tf.sum(tf.mul(tf.square(za), tf.add(zb, 1))) as tf.Scalar;
        const one = tf.variableGrads(() => loss(...model.projectViews(a, b)), model.trainableWeights);
        const two = tf.variableGrads(() => loss(model.project(a), model.project(b)), model.trainableWeights);
        close(one.value, two.value);
        for (const name of Object.keys(two.grads)) close(one.grads[name], two.grads[name]);
        const profile = await tf.profile(() => model.projectViews(a, b));
        expect(profile.kernels.filter((k) => k.name === 'Concat')).toHaveLength(1);
        model.dispose();
      }
    });

    it('encodes both views in one pass through batch norm, each view on its own statistics: same values, gradients, moving statistics', async () => {
      const config = {
        encoder: { type: 'mlp' as const, inputShape: [8, 8, 1] as [number, number, number], hidden: [16] },
        head: { hidden: 16, output: 8 },
      };
      const [one, two] = [new ContrastiveModel(config, 3), new ContrastiveModel(config, 3)];
      expect(one.batchDependent).toBe(true);
      expect(one.viewsInOnePass).toBe(true);
      const [a, b] = views();
      const loss = (za: tf.Tensor, zb: tf.Tensor) => tf.sum(tf.mul(tf.square(za), tf.add(zb, 1))) as tf.Scalar;
      const grouped = tf.variableGrads(() => loss(...one.projectViews(a, b)), one.trainableWeights);
      const apart = tf.variableGrads(() => loss(two.project(a), two.project(b)), two.trainableWeights);
      close(grouped.value, apart.value);
      for (const [k, name] of Object.keys(apart.grads).entries())
        close(grouped.grads[Object.keys(grouped.grads)[k]], apart.grads[name]);
      // the moving averages took view A's statistics, then view B's
      const moving = (m: ContrastiveModel) =>
        m.head!.layers.filter((l) => l.getClassName() === 'BatchNormalization').flatMap((l) => l.getWeights());
      for (const [k, w] of moving(one).entries()) close(w, moving(two)[k]);
      const profile = await tf.profile(() => one.projectViews(a, b));
      expect(profile.kernels.filter((k) => k.name === 'Concat')).toHaveLength(1);
      // One pass without groups really would differ: the head's batch norm would see all 12 rows.
      const mixed = one.project(tf.concat([a, b]) as tf.Tensor4D);
      const [za] = one.projectViews(a, b);
      expect(tf.max(tf.abs(tf.sub(tf.slice(mixed, 0, 6), za))).dataSync()[0]).toBeGreaterThan(1e-3);
      one.dispose();
      two.dispose();
    });

    it("leaves tfjs-layers' own batch norm to one view at a time (it has no groups)", () => {
      expect(takesBatchGroups(tfl.layers.batchNormalization({}))).toBe(false);
      expect(takesBatchGroups(batchNormalization({}))).toBe(true);
      expect(takesBatchGroups(batchNormalization({ axis: 1 }))).toBe(false);
    });
  });
});
