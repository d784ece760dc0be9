import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, it } from 'vitest';
import { useWasmKernels } from '../backends.js';
import { expectMatch, onCpuAndWasm, rand } from '../compare.js';

// FusedConv2D on wasm (this package's kernel: the native engine's route, else XNNPACK's) against
// tfjs's cpu backend; the native route has its own cases in native.test.ts.
beforeAll(useWasmKernels);

describe('FusedConv2D on wasm matches cpu', () => {
  for (const [x, f, strides, pad, activation] of [
    [[2, 9, 9, 3], [3, 3, 3, 8], 1, 'same', 'relu'],
    [[3, 12, 10, 4], [3, 3, 4, 6], 2, 'valid', 'linear'],
    [[2, 8, 8, 16], [1, 1, 16, 32], 1, 'valid', 'relu'],
  ] as [number[], number[], number, 'same' | 'valid', 'relu' | 'linear'][]) {
    it(`[${x}] * [${f}] stride ${strides} ${pad}, bias and ${activation}, with gradients`, async () => {
      const { cpu, wasm } = await onCpuAndWasm(() => {
        const input = rand(x) as tf.Tensor4D;
        const filter = rand(f) as tf.Tensor4D;
        const bias = rand([f[3]]) as tf.Tensor1D;
        const conv = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides, pad, bias: c, activation });
        const out = conv(input, filter, bias);
        const weight = rand(out.shape);
        return [
          out,
          ...tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(conv(a, b, c), weight)))([input, filter, bias]),
        ];
      });
      expectMatch(cpu, wasm);
    });
  }
});
