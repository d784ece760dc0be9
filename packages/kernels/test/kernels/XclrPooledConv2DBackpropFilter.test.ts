import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { POOLED_CONV2D, POOLED_CONV2D_BACKPROP_FILTER } from '../../src/index.js';
import { useWasmKernels } from '../backends.js';
import { pooledConvReference } from '../pooled-conv-reference.js';

// XclrPooledConv2DBackpropFilter on wasm (this package's kernel), from XclrPooledConv2D's outputs,
// against float64 loops over the same values (test/pooled-conv-reference.ts).
beforeAll(useWasmKernels);

const pooledConv = (x: tf.Tensor, filter: tf.Tensor, bias: tf.Tensor) =>
  tf.engine().runKernel(POOLED_CONV2D, { x, filter, bias }) as tf.Tensor[];

const filterGradient = (x: tf.Tensor, dy: tf.Tensor, y: tf.Tensor, argmax: tf.Tensor, filterShape: number[]) =>
  tf.engine().runKernel(POOLED_CONV2D_BACKPROP_FILTER, { x, dy, y, argmax }, { filterShape }) as tf.Tensor;

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tolerance: number): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

describe('XclrPooledConv2DBackpropFilter on wasm', () => {
  // a ConvNet's first layer (odd output: the last row and column are not pooled), 3 channels and
  // a 5 × 5 filter, 4 channels and a 2 × 1 filter, a tie in every window (constant input; the
  // gradient goes to the first position)
  const cases: { x: number[]; filter: number[]; constant?: boolean }[] = [
    { x: [3, 28, 28, 1], filter: [3, 3, 1, 32] },
    { x: [2, 13, 16, 3], filter: [5, 5, 3, 16] },
    { x: [1, 9, 7, 4], filter: [2, 1, 4, 8] },
    { x: [2, 6, 6, 1], filter: [3, 3, 1, 8], constant: true },
  ];
  for (const c of cases) {
    it(`[${c.x}] * [${c.filter}]${c.constant ? ', every window tied' : ''}: the filter gradient`, async () => {
      const x = c.constant ? tf.fill(c.x, 0.5) : tf.randomNormal(c.x, 0, 1, 'float32', 1);
      const filter = tf.randomNormal(c.filter, 0, 0.5, 'float32', 2);
      const bias = tf.randomNormal([c.filter[3]], 0, 0.2, 'float32', 3);
      const [y, argmax] = pooledConv(x, filter, bias);
      const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 4);
      const dw = filterGradient(x, dy, y, argmax, c.filter);
      const want = pooledConvReference(
        { data: await x.data<'float32'>(), shape: c.x },
        { data: await filter.data<'float32'>(), shape: c.filter },
        await bias.data<'float32'>(),
        await dy.data<'float32'>(),
      );
      expect(dw.shape).toEqual(c.filter);
      expectClose(await dw.data(), want.dw, 1e-4);
      tf.dispose([x, filter, bias, y, argmax, dy, dw]);
    });
  }

  it('frees its scratch memory, and names the inputs it rejects', () => {
    const x = tf.randomNormal([2, 8, 8, 1]);
    const filter = tf.randomNormal([3, 3, 1, 8]);
    const bias = tf.zeros([8]);
    const [y, argmax] = pooledConv(x, filter, bias);
    const dy = tf.onesLike(y);
    tf.dispose(filterGradient(x, dy, y, argmax, [3, 3, 1, 8]));
    const before = tf.engine().backend.numDataIds();
    tf.dispose(filterGradient(x, dy, y, argmax, [3, 3, 1, 8]));
    tf.dispose(pooledConv(x, filter, bias));
    expect(tf.engine().backend.numDataIds()).toBe(before);
    const floatPositions = tf.cast(argmax, 'float32');
    expect(() => filterGradient(x, dy, y, floatPositions, [3, 3, 1, 8])).toThrow(
      /XclrPooledConv2DBackpropFilter needs .*argmax float32 \[2,3,3,2\]/,
    );
    tf.dispose([x, filter, bias, y, argmax, dy, floatPositions]);
  });
});
