import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, it } from 'vitest';
import { useWasmKernels } from '../backends.js';
import { expectMatch, onCpuAndWasm, rand } from '../compare.js';

// Mean on wasm (this package's kernel) against tfjs's cpu backend.
beforeAll(useWasmKernels);

describe('Mean on wasm matches cpu', () => {
  // Leading axes go through average pooling (in two halves from 64 rows on), trailing axes through
  // SIMD row sums; other axes to the stock kernels.
  for (const [shape, axis, keepDims] of [
    [[64, 5, 5, 7], [0, 1, 2], false],
    [[64, 5, 5, 7], [0, 1, 2], true],
    [[300, 9], 0, false],
    [[301, 9], 0, false],
    [[16, 32, 32, 24], [0, 1, 2], false],
    [[64, 40, 40, 8], [0, 1, 2], false], // windows of 51,200 rows
    [[3, 70001, 2], [0, 1], false], // one window of 210,003 rows (an odd count)
    [[6, 7, 8], [0, 2], false],
    [[6, 7, 8], -1, true],
    [[6, 7, 8], [0, 1, 2], false],
    [[3, 4, 5], [0, 1], true],
    // Trailing axes (rows of the loss matrices): SIMD row sums, with rows not a multiple of 4.
    [[512, 2051], 1, false],
    [[5, 3], -1, true],
    [[4, 6, 10], [1, 2], false],
  ] as [number[], number | number[], boolean][]) {
    it(`[${shape}] over ${JSON.stringify(axis)}${keepDims ? ', keepDims' : ''}`, async () => {
      // An offset keeps the means away from zero, where only absolute error means anything.
      const { cpu, wasm } = await onCpuAndWasm(() => tf.mean(tf.add(rand(shape), 0.5), axis, keepDims));
      expectMatch(cpu, wasm);
    });
  }
});
