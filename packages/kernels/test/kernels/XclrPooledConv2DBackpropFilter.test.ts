import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasmKernels } from '../backends.js';
import {
  POOLED_CONV_CASES,
  expectClose,
  pooledConv,
  pooledConvFilterGradient,
  pooledConvReference,
} from '../pooled-conv-reference.js';

// XclrPooledConv2DBackpropFilter on wasm (this package's kernel), from XclrPooledConv2D's outputs,
// against float64 loops over the same values (test/pooled-conv-reference.ts).
beforeAll(useWasmKernels);

describe('XclrPooledConv2DBackpropFilter on wasm', () => {
  for (const c of POOLED_CONV_CASES) {
    it(`[${c.x}] * [${c.filter}]${c.constant ? ', every window tied' : ''}: the filter gradient`, async () => {
      const x = c.constant ? tf.fill(c.x, 0.5) : tf.randomNormal(c.x, 0, 1, 'float32', 1);
      const filter = tf.randomNormal(c.filter, 0, 0.5, 'float32', 2);
      const bias = tf.randomNormal([c.filter[3]], 0, 0.2, 'float32', 3);
      const [y, argmax] = pooledConv(x, filter, bias);
      const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 4);
      const dw = pooledConvFilterGradient(x, dy, y, argmax, c.filter);
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
    tf.dispose(pooledConvFilterGradient(x, dy, y, argmax, [3, 3, 1, 8]));
    const before = tf.engine().backend.numDataIds();
    tf.dispose(pooledConvFilterGradient(x, dy, y, argmax, [3, 3, 1, 8]));
    tf.dispose(pooledConv(x, filter, bias));
    expect(tf.engine().backend.numDataIds()).toBe(before);
    const floatPositions = tf.cast(argmax, 'float32');
    expect(() => pooledConvFilterGradient(x, dy, y, floatPositions, [3, 3, 1, 8])).toThrow(
      /XclrPooledConv2DBackpropFilter needs .*argmax float32 \[2,3,3,2\]/,
    );
    tf.dispose([x, filter, bias, y, argmax, dy, floatPositions]);
  });
});
