import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { stockCpuFilterGradient } from '../src/cpu/conv2d-filter.js';
import { useFastestBackend } from '../src/index.js';
import { expectMatch, rand } from './compare.js';

// The cpu backend's Conv2DBackpropFilter, replaced by a loop order 60× faster, against the stock
// tfjs-backend-cpu kernel it replaces, on random inputs (half of them zero, as after a ReLU).
beforeAll(async () => {
  const choice = await useFastestBackend({ backend: 'cpu' });
  expect(choice.notes).toContain('cpu kernels: Conv2DBackpropFilter');
  expect(stockCpuFilterGradient).not.toBeNull();
});

describe('Conv2DBackpropFilter on cpu matches the stock kernel', () => {
  const cases: {
    x: number[];
    f: number[];
    strides: number | [number, number];
    pad: 'same' | 'valid' | tf.backend_util.ExplicitPadding;
  }[] = [
    { x: [2, 9, 9, 3], f: [3, 3, 3, 4], strides: 1, pad: 'same' },
    { x: [2, 9, 9, 3], f: [3, 3, 3, 4], strides: 1, pad: 'valid' },
    { x: [3, 11, 10, 4], f: [3, 3, 4, 5], strides: 2, pad: 'same' },
    { x: [1, 12, 9, 2], f: [3, 2, 2, 3], strides: [2, 1], pad: 'valid' },
    { x: [2, 8, 8, 6], f: [1, 1, 6, 3], strides: 2, pad: 'same' },
    { x: [2, 13, 13, 3], f: [5, 5, 3, 2], strides: [1, 3], pad: 'valid' },
    {
      x: [2, 8, 8, 3],
      f: [3, 3, 3, 4],
      strides: 1,
      pad: [
        [0, 0],
        [1, 2],
        [0, 1],
        [0, 0],
      ],
    },
  ];
  for (const c of cases) {
    it(`x [${c.x}] filter [${c.f}] strides ${JSON.stringify(c.strides)} pad ${JSON.stringify(c.pad)}`, () => {
      const x = tf.relu(rand(c.x));
      const w = rand(c.f) as tf.Tensor4D;
      const y = tf.conv2d(x as tf.Tensor4D, w, c.strides, c.pad);
      const dy = rand(y.shape);
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: c.f };
      const ours = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as never) as tf.Tensor;
      const stock = tf
        .engine()
        .makeTensorFromTensorInfo(
          (stockCpuFilterGradient as tf.KernelFunc)({
            inputs: { x, dy },
            backend: tf.backend(),
            attrs: attrs as never,
          }) as tf.TensorInfo,
        );
      expectMatch([stock.dataSync() as Float32Array], [ours.dataSync() as Float32Array]);
      tf.dispose([x, w, y, dy, ours, stock]);
    });
  }

  it('a conv2d weight gradient through tf.grad leaks no tensors', () => {
    const x = tf.relu(rand([2, 6, 6, 4])) as tf.Tensor4D;
    const w = rand([3, 3, 4, 5]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const gw = tf.grad((f: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, f as tf.Tensor4D, 1, 'same'))))(w);
    expect(gw.shape).toEqual([3, 3, 4, 5]);
    expect(Number.isFinite(tf.tidy(() => tf.sum(gw).dataSync()[0]))).toBe(true);
    gw.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
  });
});
