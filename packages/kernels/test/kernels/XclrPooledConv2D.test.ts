import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { POOLED_CONV2D } from '../../src/index.js';
import { useWasmKernels } from '../backends.js';
import { pooledConvReference } from '../pooled-conv-reference.js';

// XclrPooledConv2D on wasm (this package's kernel) against float64 loops over the same values
// (test/pooled-conv-reference.ts); its filter gradient: XclrPooledConv2DBackpropFilter.test.ts.
beforeAll(useWasmKernels);

const pooledConv = (x: tf.Tensor, filter: tf.Tensor, bias: tf.Tensor) =>
  tf.engine().runKernel(POOLED_CONV2D, { x, filter, bias }) as tf.Tensor[];

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tolerance: number): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

describe('XclrPooledConv2D on wasm', () => {
  // a ConvNet's first layer (odd output: the last row and column are not pooled), 3 channels and
  // a 5 × 5 filter, 4 channels and a 2 × 1 filter, a tie in every window (constant input)
  const cases: { x: number[]; filter: number[]; constant?: boolean }[] = [
    { x: [3, 28, 28, 1], filter: [3, 3, 1, 32] },
    { x: [2, 13, 16, 3], filter: [5, 5, 3, 16] },
    { x: [1, 9, 7, 4], filter: [2, 1, 4, 8] },
    { x: [2, 6, 6, 1], filter: [3, 3, 1, 8], constant: true },
  ];
  for (const c of cases) {
    it(`[${c.x}] * [${c.filter}]${c.constant ? ', every window tied' : ''}: pooled outputs and their window positions`, async () => {
      const x = c.constant ? tf.fill(c.x, 0.5) : tf.randomNormal(c.x, 0, 1, 'float32', 1);
      const filter = tf.randomNormal(c.filter, 0, 0.5, 'float32', 2);
      const bias = tf.randomNormal([c.filter[3]], 0, 0.2, 'float32', 3);
      const [y, argmax] = pooledConv(x, filter, bias);
      const want = pooledConvReference(
        { data: await x.data<'float32'>(), shape: c.x },
        { data: await filter.data<'float32'>(), shape: c.filter },
        await bias.data<'float32'>(),
        new Float32Array(y.size),
      );
      expect(y.shape).toEqual(want.shape);
      expect(argmax.dtype).toBe('int32');
      expectClose(await y.data(), want.y, 1e-5);
      expect(Array.from(await argmax.data())).toEqual(Array.from(want.argmax));
      tf.dispose([x, filter, bias, y, argmax]);
    });
  }

  it('names the inputs it rejects', () => {
    const x = tf.randomNormal([2, 8, 8, 1]);
    const wide = tf.zeros([3, 3, 1, 12]);
    const bias = tf.zeros([12]);
    expect(() => pooledConv(x, wide, bias)).toThrow(
      /XclrPooledConv2D needs .*o a multiple of 8.*got x float32 \[2,8,8,1\], filter \[3,3,1,12\], bias \[12\]/,
    );
    const deep = tf.zeros([2, 8, 8, 5]);
    expect(() => pooledConv(deep, tf.zeros([3, 3, 5, 8]), tf.zeros([8]))).toThrow(/c ≤ 4.*got x float32 \[2,8,8,5\]/);
    tf.dispose([x, wide, bias, deep]);
  });
});
