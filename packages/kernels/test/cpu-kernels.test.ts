import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { stockCpuFilterGradient } from '../src/cpu/conv2d-filter.js';
import { useBackend } from './backends.js';
import { CONV_CASES, convTitle } from './cases.js';
import { expectMatch, rand } from './compare.js';

// The cpu backend's Conv2DBackpropFilter, replaced by a loop order 60× faster, against the stock
// tfjs-backend-cpu kernel it replaces, on random inputs (half of them zero, as after a ReLU).
beforeAll(async () => {
  const choice = await useBackend('cpu');
  expect(choice.notes).toContain('cpu kernels: Conv2DBackpropFilter');
  expect(stockCpuFilterGradient).not.toBeNull();
});

describe('Conv2DBackpropFilter on cpu matches the stock kernel', () => {
  for (const c of CONV_CASES) {
    it(convTitle(c), () => {
      const x = tf.relu(rand(c.x));
      const w = rand(c.f) as tf.Tensor4D;
      const y = tf.conv2d(x as tf.Tensor4D, w, c.strides, c.pad);
      const dy = rand(y.shape);
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: c.f };
      const ours = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as never) as tf.Tensor;
      const stock = tf.engine().makeTensorFromTensorInfo(
        (stockCpuFilterGradient as tf.KernelFunc)({
          inputs: { x, dy },
          backend: tf.backend(),
          attrs: attrs as never,
        }) as tf.TensorInfo,
      );
      expectMatch([stock.dataSync() as Float32Array], [ours.dataSync() as Float32Array], 1e-4, c.floor);
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
