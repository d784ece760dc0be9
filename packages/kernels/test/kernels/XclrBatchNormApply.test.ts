import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { BATCH_NORM_APPLY, CHANNEL_MOMENTS } from '../../src/index.js';
import { useWasmKernels } from '../backends.js';
import { nearOrWhy, referenceGroupMoments } from '../batch-norm-reference.js';

// XclrBatchNormApply on wasm (this package's kernel) against a float64 reference, with groups of
// rows (each with its own statistics), and against tf.batchNorm on the cpu backend for one group.
beforeAll(useWasmKernels);

const EPSILON = 1e-3;

function apply(x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor, groups: number): tf.Tensor {
  const [mean, variance] = tf.engine().runKernel(CHANNEL_MOMENTS, { x }, { groups }) as tf.Tensor[];
  const y = tf
    .engine()
    .runKernel(BATCH_NORM_APPLY, { x, mean, variance, scale, offset }, { varianceEpsilon: EPSILON, groups }) as tf.Tensor;
  tf.dispose([mean, variance]);
  return y;
}

describe('batch norm from given statistics on wasm (one pass)', () => {
  // SIMD (C a multiple of 4) and JavaScript channels; 1 to 3 groups
  const cases: [number[], number][] = [
    [[6, 5, 5, 12], 1],
    [[6, 5, 5, 12], 2],
    [[6, 3, 7], 3],
    [[64, 4, 4, 32], 2],
  ];
  for (const [shape, groups] of cases) {
    it(`[${shape}] in ${groups} group(s) against float64`, async () => {
      await tf.setBackend('wasm');
      const c = shape.at(-1)!;
      const x = tf.add(
        tf.randomNormal(shape, 0.5, 2, 'float32', 31),
        tf.reshape(tf.range(0, shape[0]), [shape[0], ...shape.slice(1).map(() => 1)]),
      );
      const scale = tf.randomNormal([c], 1, 0.5, 'float32', 32);
      const offset = tf.randomNormal([c], 0, 1, 'float32', 33);
      const y = apply(x, scale, offset, groups);
      const [xs, s, o] = [await x.data<'float32'>(), await scale.data<'float32'>(), await offset.data<'float32'>()];
      const { mean, variance } = referenceGroupMoments(xs, c, groups);
      const perGroup = xs.length / groups;
      const want = Float64Array.from(xs, (v, i) => {
        const k = i % c;
        const g = Math.floor(i / perGroup);
        return ((v - mean[g * c + k]) / Math.sqrt(variance[g * c + k] + EPSILON)) * s[k] + o[k];
      });
      expect(nearOrWhy(await y.data<'float32'>(), want, 1e-4)).toBeNull();
      tf.dispose([x, scale, offset, y]);
    });
  }

  it('one group equals tf.batchNorm on the cpu backend', async () => {
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.randomNormal([4, 6, 6, 16], 1, 3, 'float32', 41);
        const scale = tf.randomNormal([16], 1, 0.5, 'float32', 42);
        const offset = tf.randomNormal([16], 0, 1, 'float32', 43);
        if (backend === 'wasm') return apply(x, scale, offset, 1).dataSync() as Float32Array;
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        return tf.batchNorm(x, mean, variance, offset, scale, EPSILON).dataSync() as Float32Array;
      });
    };
    const [cpu, wasm] = [await run('cpu'), await run('wasm')];
    expect(nearOrWhy(wasm, Float64Array.from(cpu), 1e-4)).toBeNull();
  });

  it('frees its scratch memory, and names the input it rejects', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([16, 12]);
    const [scale, offset] = [tf.ones([12]), tf.zeros([12])];
    tf.dispose(apply(x, scale, offset, 2));
    const before = tf.engine().backend.numDataIds();
    tf.dispose(apply(x, scale, offset, 2));
    expect(tf.engine().backend.numDataIds()).toBe(before);
    const [mean, variance] = [tf.zeros([12]), tf.ones([12])];
    expect(() =>
      tf.engine().runKernel(BATCH_NORM_APPLY, { x, mean, variance, scale, offset }, { varianceEpsilon: EPSILON, groups: 2 }),
    ).toThrow(/XclrBatchNormApply needs .* mean and variance of 2 × C values.* mean \[12\]/);
    tf.dispose([x, scale, offset, mean, variance]);
  });
});
