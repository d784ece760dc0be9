import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { BATCH_NORM_GRAD, CHANNEL_MOMENTS } from '../../src/index.js';
import { useWasmKernels } from '../backends.js';
import { nearOrWhy, referenceGrad, rowGroups } from '../batch-norm-reference.js';

// XclrBatchNormGrad on wasm (this package's kernel) against a float64 reference of
// training-mode batch norm's gradients, and against tfjs's autodiff of tf.moments + tf.batchNorm
// on the cpu backend.
beforeAll(useWasmKernels);

const EPSILON = 1e-3;

function grads(dy: tf.Tensor, x: tf.Tensor, scale: tf.Tensor): tf.Tensor[] {
  const [mean, variance] = tf.engine().runKernel(CHANNEL_MOMENTS, { x }) as tf.Tensor[];
  const out = tf
    .engine()
    .runKernel(BATCH_NORM_GRAD, { dy, x, mean, variance, scale }, { varianceEpsilon: EPSILON }) as tf.Tensor[];
  tf.dispose([mean, variance]);
  return out;
}

describe('batch-norm gradients on wasm (two passes) match references', () => {
  const shapes = [
    [4, 5, 6, 8],
    [3, 7, 6],
    [700, 16],
    [2, 9, 9, 64],
    [2, 4],
  ];
  for (const shape of shapes) {
    it(`[${shape}] against float64`, async () => {
      await tf.setBackend('wasm');
      const channels = shape.at(-1)!;
      const x = tf.randomNormal(shape, 0.5, 2, 'float32', 7);
      const dy = tf.randomNormal(shape, 0, 1, 'float32', 8);
      const scale = tf.randomNormal([channels], 1, 0.5, 'float32', 9);
      const [dx, dScale, dOffset] = grads(dy, x, scale);
      expect([dx.shape, dScale.shape, dOffset.shape]).toEqual([shape, [channels], [channels]]);
      const want = referenceGrad(await dy.data<'float32'>(), await x.data<'float32'>(), await scale.data<'float32'>(), EPSILON);
      expect(nearOrWhy(await dx.data<'float32'>(), want.dx, 1e-4)).toBeNull();
      expect(nearOrWhy(await dScale.data<'float32'>(), want.dScale, 1e-4)).toBeNull();
      expect(nearOrWhy(await dOffset.data<'float32'>(), want.dOffset, 1e-4)).toBeNull();
      tf.dispose([x, dy, scale, dx, dScale, dOffset]);
    });
  }

  it('equals autodiff through tf.moments and tf.batchNorm on the cpu backend', async () => {
    const shape = [6, 5, 5, 12];
    const data = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.randomNormal(shape, 0, 3, 'float32', 11);
        const dy = tf.randomNormal(shape, 0, 1, 'float32', 12);
        const scale = tf.randomNormal([12], 1, 0.5, 'float32', 13);
        const offset = tf.randomNormal([12], 0, 1, 'float32', 14);
        if (backend === 'wasm') return grads(dy, x, scale).map((t) => t.dataSync() as Float32Array);
        const f = (a: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => {
          const { mean, variance } = tf.moments(a, [0, 1, 2]);
          return tf.sum(tf.mul(tf.batchNorm(a, mean, variance, o, s, EPSILON), dy));
        };
        return tf
          .grads(f)([x, scale, offset])
          .map((t) => t.dataSync() as Float32Array);
      });
    };
    const [cpu, wasm] = [await data('cpu'), await data('wasm')];
    for (const [k, c] of cpu.entries()) expect(nearOrWhy(wasm[k], Float64Array.from(c), 1e-3), `output ${k}`).toBeNull();
  });

  it('frees its scratch memory, and names the input it rejects', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([16, 12]);
    const scale = tf.ones([12]);
    tf.dispose(grads(x, x, scale));
    const before = tf.engine().backend.numDataIds();
    tf.dispose(grads(x, x, scale));
    expect(tf.engine().backend.numDataIds()).toBe(before);
    expect(() => grads(tf.zeros([16, 8]), x, scale)).toThrow(
      /XclrBatchNormGrad needs .* dy float32 \[16,8\], x float32 \[16,12\]/,
    );
    tf.dispose([x, scale]);
  });

  it('with groups: each group with its own statistics, as separate calls; scale and offset gradients summed', async () => {
    await tf.setBackend('wasm');
    const shape = [6, 5, 5, 12];
    for (const groups of [2, 3]) {
      const x = tf.add(tf.randomNormal(shape, 0.5, 2, 'float32', 21), tf.reshape(tf.range(0, 6), [6, 1, 1, 1]));
      const dy = tf.randomNormal(shape, 0, 1, 'float32', 22);
      const scale = tf.randomNormal([12], 1, 0.5, 'float32', 23);
      const [mean, variance] = tf.engine().runKernel(CHANNEL_MOMENTS, { x }, { groups }) as tf.Tensor[];
      const [dx, dScale, dOffset] = tf
        .engine()
        .runKernel(BATCH_NORM_GRAD, { dy, x, mean, variance, scale }, { varianceEpsilon: EPSILON, groups }) as tf.Tensor[];
      const [xs, dys, ss] = [await x.data<'float32'>(), await dy.data<'float32'>(), await scale.data<'float32'>()];
      const parts = rowGroups(xs, groups).map((xPart, g) => referenceGrad(rowGroups(dys, groups)[g], xPart, ss, EPSILON));
      const wantDx = Float64Array.from(parts.flatMap((p) => Array.from(p.dx)));
      const sum = (key: 'dScale' | 'dOffset') =>
        Float64Array.from({ length: 12 }, (_, c) => parts.reduce((a, p) => a + p[key][c], 0));
      expect(nearOrWhy(await dx.data<'float32'>(), wantDx, 1e-4)).toBeNull();
      expect(nearOrWhy(await dScale.data<'float32'>(), sum('dScale'), 1e-4)).toBeNull();
      expect(nearOrWhy(await dOffset.data<'float32'>(), sum('dOffset'), 1e-4)).toBeNull();
      tf.dispose([x, dy, scale, mean, variance, dx, dScale, dOffset]);
    }
  });
});
