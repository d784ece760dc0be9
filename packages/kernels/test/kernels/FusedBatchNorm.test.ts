import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, it } from 'vitest';
import { useWasmKernels } from '../backends.js';
import { expectMatch, onCpuAndWasm, rand } from '../compare.js';

// FusedBatchNorm on wasm (this package's kernel) against tfjs's cpu backend.
beforeAll(useWasmKernels);

describe('FusedBatchNorm on wasm matches cpu', () => {
  const cases: [string, number[], number[], boolean][] = [
    ['NHWC with [C] statistics, offset and scale', [8, 6, 6, 16], [16], true],
    ['NHWC with [1, 1, 1, C] statistics', [4, 5, 5, 8], [1, 1, 1, 8], true],
    ['[N, C]', [32, 12], [12], true],
    // tfjs-core cannot take this gradient on any backend (it saves the missing offset): forward only.
    ['[N, C] without offset and scale', [32, 12], [12], false],
    ['statistics per element (stock kernel)', [4, 3, 5], [4, 3, 5], true],
  ];
  for (const [name, xShape, statShape, affine] of cases) {
    it(`${name}${affine ? ', with gradients' : ''}`, async () => {
      const { cpu, wasm } = await onCpuAndWasm(() => {
        const x = rand(xShape);
        const mean = rand(statShape);
        const variance = tf.add(tf.abs(rand(statShape)), 0.1);
        const offset = affine ? rand(statShape) : undefined;
        const scale = affine ? rand(statShape) : undefined;
        const f = (a: tf.Tensor) => tf.batchNorm(a, mean, variance, offset, scale, 1e-3);
        const weight = rand(xShape);
        if (!affine) return [f(x)];
        return [f(x), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), weight)))(x)];
      });
      expectMatch(cpu, wasm);
    });
  }
});
