import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL_MOMENTS } from '../../src/index.js';
import { useWasmKernels } from '../backends.js';
import { nearOrWhy, referenceGroupMoments, referenceMoments } from '../batch-norm-reference.js';

// XclrChannelMoments on wasm (this package's kernel) against a float64 reference.
beforeAll(useWasmKernels);

const moments = (x: tf.Tensor) => tf.engine().runKernel(CHANNEL_MOMENTS, { x }) as tf.Tensor[];

describe('channel moments on wasm (one pass) match a float64 reference', () => {
  // SIMD (C a multiple of 4) and JavaScript channels, several float32 blocks of rows, rank 1.
  const shapes = [[4, 5, 6, 8], [3, 7, 6], [700, 16], [2, 9, 9, 64], [5]];
  for (const shape of shapes) {
    it(`[${shape}]`, async () => {
      await tf.setBackend('wasm');
      const x = tf.randomNormal(shape, 0.5, 2, 'float32', 3);
      const [mean, variance] = moments(x);
      const channels = shape.at(-1)!;
      expect(mean.shape).toEqual([channels]);
      expect(variance.shape).toEqual([channels]);
      const xs = await x.data<'float32'>();
      const want = referenceMoments(xs, channels);
      // float32 differences from the values (|x| up to ~8) bound a mean's error, not the mean itself
      const atol = 1e-6 * xs.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(nearOrWhy(await mean.data<'float32'>(), want.mean, 1e-5, atol)).toBeNull();
      expect(nearOrWhy(await variance.data<'float32'>(), want.variance, 1e-5)).toBeNull();
      tf.dispose([x, mean, variance]);
    });
  }

  it('keeps the variance of channels whose mean is far from 0 (shifted sums, no E[x²] − E[x]² cancellation)', async () => {
    await tf.setBackend('wasm');
    const x = tf.tidy(() => tf.add(tf.randomNormal([4096, 8], 0, 0.01, 'float32', 5), 1000));
    const [, variance] = moments(x);
    const want = referenceMoments(await x.data<'float32'>(), 8);
    // E[x²] − E[x]² in float32 here is off by far more than the variance (1e-4) itself.
    expect(nearOrWhy(await variance.data<'float32'>(), want.variance, 1e-3)).toBeNull();
    tf.dispose([x, variance]);
  });

  it('frees its scratch memory, and names the input it rejects', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([16, 12]);
    tf.dispose(moments(x));
    const before = tf.engine().backend.numDataIds();
    tf.dispose(moments(x));
    expect(tf.engine().backend.numDataIds()).toBe(before);
    expect(() => moments(tf.zeros([0, 4]))).toThrow(/XclrChannelMoments needs a non-empty float32 x .* \[0,4\]/);
    x.dispose();
  });

  it('with groups: each group of rows its own statistics, [groups, C]', async () => {
    await tf.setBackend('wasm');
    for (const [shape, groups] of [
      [[6, 5, 5, 12], 2],
      [[6, 3, 7], 3],
    ] as [number[], number][]) {
      const channels = shape.at(-1)!;
      // the groups far apart, so statistics mixed across them would show
      const x = tf.add(
        tf.randomNormal(shape, 0, 2, 'float32', 5),
        tf.reshape(tf.range(0, shape[0]), [shape[0], ...shape.slice(1).map(() => 1)]),
      );
      const [mean, variance] = tf.engine().runKernel(CHANNEL_MOMENTS, { x }, { groups }) as tf.Tensor[];
      expect(mean.shape).toEqual([groups, channels]);
      const want = referenceGroupMoments(await x.data<'float32'>(), channels, groups);
      expect(nearOrWhy(await mean.data<'float32'>(), want.mean, 1e-5, 1e-5)).toBeNull();
      expect(nearOrWhy(await variance.data<'float32'>(), want.variance, 1e-5)).toBeNull();
      tf.dispose([x, mean, variance]);
    }
    expect(() => tf.engine().runKernel(CHANNEL_MOMENTS, { x: tf.zeros([5, 4]) }, { groups: 2 })).toThrow(
      /rows in 2 equal groups, got float32 \[5,4\]/,
    );
  });
});
