import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasmKernels } from '../backends.js';
import { POOLED_CONV_CASES, expectClose, pooledConv, pooledConvReference } from '../pooled-conv-reference.js';

// XclrPooledConv2D on wasm (this package's kernel) against float64 loops over the same values
// (test/pooled-conv-reference.ts); its filter gradient: XclrPooledConv2DBackpropFilter.test.ts.
beforeAll(useWasmKernels);

describe('XclrPooledConv2D on wasm', () => {
  for (const c of POOLED_CONV_CASES) {
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
