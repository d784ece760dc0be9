import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { useFastestBackend } from '@xclr/backend';
import { POOLED_CONV2D, POOLED_CONV2D_BACKPROP_FILTER, POOLED_CONV2D_MAX_CHANNELS } from '@xclr/kernels';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  POOLED_CONV2D_BACKPROP_FILTER_KERNEL,
  POOLED_CONV2D_KERNEL,
  POOLED_CONV2D_KERNEL_MAX_CHANNELS,
  pooledConv2d,
} from '../src/index.js';
import { expectClose, valueAndGrads } from './layer-gradients.js';

// pooledConv2d against tfjs-layers' conv2d and maxPooling2d: on cpu (composed from tfjs ops) and
// on wasm, where @xclr/kernels' XclrPooledConv2D and its filter gradient run; the same outputs and
// gradients (input, kernel, bias) as the two layers on cpu.

beforeAll(async () => {
  await useFastestBackend({ backend: 'wasm', threads: 1, native: false });
});

type ConvArgs = Parameters<typeof tfl.layers.conv2d>[0];

/** Σ w · layer(x)'s value and gradients, with the layers built by `make` on `backend` and given `weights`. */
async function run(backend: string, make: () => tfl.layers.Layer[], x: number[][][][], weights: tf.Tensor[], w: tf.Tensor) {
  await tf.setBackend(backend);
  const layers = make();
  const input = tf.tensor4d(x);
  layers[0].build(input.shape);
  layers[0].setWeights(weights);
  const f = (a: tf.Tensor) => layers.reduce((h, layer) => layer.apply(h, { training: true }) as tf.Tensor, a);
  const profile = await tf.profile(() => {
    valueAndGrads(f, layers[0], input, w);
    return [];
  });
  const out = valueAndGrads(f, layers[0], input, w);
  input.dispose();
  return { out, kernels: profile.kernels.map((k) => k.name) };
}

describe('pooledConv2d', () => {
  const cases: { name: string; x: number[]; conv: ConvArgs }[] = [
    {
      name: 'a first layer, an odd map (a row and a column past the last window)',
      x: [3, 12, 11, 1],
      conv: { filters: 8, kernelSize: 3 },
    },
    { name: '3 channels, a 2 × 2 filter, 16 filters', x: [2, 9, 9, 3], conv: { filters: 16, kernelSize: 2 } },
  ];
  for (const c of cases) {
    it(`matches tfjs-layers' conv2d + maxPooling2d on cpu and (XclrPooledConv2D) on wasm: ${c.name}`, async () => {
      await tf.setBackend('cpu');
      const args = { ...c.conv, activation: 'relu' as const };
      const x = tf.randomNormal(c.x, 0, 1, 'float32', 7).arraySync() as number[][][][];
      const k = c.conv.kernelSize as number;
      const kernel = tf.randomNormal([k, k, c.x[3], c.conv.filters], 0, 0.5, 'float32', 8);
      // Negative biases on some channels: whole windows are 0 after the ReLU there (masked gradients).
      const bias = tf.tensor1d(Array.from({ length: c.conv.filters }, (_, i) => (i % 3 === 0 ? -2 : 0.1 * i)));
      const [n, h, w] = c.x;
      const weight = tf.randomNormal(
        [n, Math.floor((h - k + 1) / 2), Math.floor((w - k + 1) / 2), c.conv.filters],
        0,
        1,
        'float32',
        9,
      );
      const theirs = () => [tfl.layers.conv2d(args), tfl.layers.maxPooling2d({ poolSize: 2 })];
      const want = await run('cpu', theirs, x, [kernel, bias], weight);
      const onCpu = await run('cpu', () => [pooledConv2d(args)], x, [kernel, bias], weight);
      expectClose(onCpu.out, want.out, 1e-5);
      expect(onCpu.kernels).not.toContain(POOLED_CONV2D_KERNEL);
      const onWasm = await run('wasm', () => [pooledConv2d(args)], x, [kernel, bias], weight);
      expect(onWasm.kernels).toContain(POOLED_CONV2D_KERNEL);
      expect(onWasm.kernels).toContain(POOLED_CONV2D_BACKPROP_FILTER_KERNEL);
      expectClose(onWasm.out, want.out, 1e-4);
      tf.dispose([kernel, bias, weight]);
    });
  }

  it('runs conv2d and maxPooling2d on wasm where the kernel does not fit (8 input channels, same padding)', async () => {
    for (const [channels, padding] of [
      [8, 'valid'],
      [1, 'same'],
    ] as const) {
      const { kernels } = await run(
        'wasm',
        () => [pooledConv2d({ filters: 8, kernelSize: 3, activation: 'relu', padding })],
        tf.randomNormal([2, 8, 8, channels], 0, 1, 'float32', 3).arraySync() as number[][][][],
        [tf.randomNormal([3, 3, channels, 8], 0, 0.5, 'float32', 4), tf.zeros([8])],
        tf.ones([1]),
      );
      expect(kernels).not.toContain(POOLED_CONV2D_KERNEL);
      expect(kernels).toContain('MaxPool');
    }
  });

  it('has the pooled output shape, round-trips through a model config, and names the kernels as @xclr/kernels does', async () => {
    await tf.setBackend('cpu');
    const input = tfl.input({ shape: [28, 28, 1] });
    const output = pooledConv2d({ filters: 32, kernelSize: 3, activation: 'relu' }).apply(input) as tfl.SymbolicTensor;
    expect(output.shape).toEqual([null, 13, 13, 32]);
    const model = tfl.model({ inputs: input, outputs: output });
    const copy = await tfl.models.modelFromJSON({ modelTopology: model.toJSON(null, false) as tf.io.ModelJSON['modelTopology'] });
    expect(copy.layers[1].getClassName()).toBe('XclrPooledConv2D');
    expect(copy.outputs[0].shape).toEqual([null, 13, 13, 32]);
    expect([POOLED_CONV2D_KERNEL, POOLED_CONV2D_BACKPROP_FILTER_KERNEL, POOLED_CONV2D_KERNEL_MAX_CHANNELS]).toEqual([
      POOLED_CONV2D,
      POOLED_CONV2D_BACKPROP_FILTER,
      POOLED_CONV2D_MAX_CHANNELS,
    ]);
  });
});
