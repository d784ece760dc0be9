import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { SUM_OF_SQUARES } from '../../src/index.js';
import { useWasmKernels } from '../backends.js';

// XclrSumOfSquares on wasm (this package's kernel) against a float64 sum of the same values.
beforeAll(useWasmKernels);

const sumOfSquares = (x: tf.Tensor) => tf.engine().runKernel(SUM_OF_SQUARES, { x }) as tf.Tensor;

describe('Σ x² on wasm (one pass)', () => {
  // below one block (the JavaScript tail only), whole blocks, blocks and a tail, a filter's shape
  for (const shape of [[7], [3, 16384], [100003], [3, 3, 64, 128]]) {
    it(`[${shape}] against float64`, async () => {
      await tf.setBackend('wasm');
      const x = tf.randomNormal(shape, 0.3, 2, 'float32', 5);
      const got = sumOfSquares(x);
      expect(got.shape).toEqual([]);
      const want = (await x.data<'float32'>()).reduce((a, v) => a + v * v, 0);
      expect(Math.abs((await got.data())[0] - want)).toBeLessThanOrEqual(1e-5 * want);
      tf.dispose([x, got]);
    });
  }

  it('frees its scratch memory, and names the input it rejects', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([5, 20000]);
    tf.dispose(sumOfSquares(x));
    const before = tf.engine().backend.numDataIds();
    tf.dispose(sumOfSquares(x));
    expect(tf.engine().backend.numDataIds()).toBe(before);
    expect(() => sumOfSquares(tf.zeros([4], 'int32'))).toThrow(/XclrSumOfSquares needs a float32 x, got int32 \[4\]/);
    x.dispose();
  });
});
