import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, it } from 'vitest';
import { sumConfig } from '../../src/kernels/Sum.js';
import { expectTrailingAxesWithoutStock, useWasmKernels } from '../backends.js';
import { REDUCE_CASES } from '../cases.js';
import { expectMatch, onCpuAndWasm, rand } from '../compare.js';

// Sum on wasm (this package's kernel) against tfjs's cpu backend.
beforeAll(useWasmKernels);

describe('Sum on wasm matches cpu', () => {
  for (const [shape, axis, keepDims] of REDUCE_CASES) {
    it(`[${shape}] over ${JSON.stringify(axis)}${keepDims ? ', keepDims' : ''}`, async () => {
      // An offset keeps the means away from zero, where only absolute error means anything.
      const { cpu, wasm } = await onCpuAndWasm(() => tf.sum(tf.add(rand(shape), 0.5), axis, keepDims));
      expectMatch(cpu, wasm);
    });
  }
});

describe('Sum over trailing axes never falls back to the stock kernel', () => {
  expectTrailingAxesWithoutStock(sumConfig, tf.sum, 'axis');
});
