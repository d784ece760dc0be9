import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxConfig } from '../../src/kernels/Max.js';
import { expectTrailingAxesWithoutStock, useWasmKernels } from '../backends.js';
import { REDUCE_CASES } from '../cases.js';
import { expectMatch, onCpuAndWasm, rand } from '../compare.js';

// Max on wasm (this package's kernel over trailing axes, the stock one otherwise) against tfjs's cpu backend.
beforeAll(useWasmKernels);

describe('Max on wasm matches cpu', () => {
  for (const [shape, axis, keepDims] of REDUCE_CASES) {
    it(`[${shape}] over ${JSON.stringify(axis)}${keepDims ? ', keepDims' : ''}`, async () => {
      const { cpu, wasm } = await onCpuAndWasm(() => tf.max(rand(shape), axis, keepDims));
      expectMatch(cpu, wasm, 0, 0);
    });
  }

  it('rows of negative values, of −∞, with a NaN, and with the maximum in the last (non-SIMD) columns', async () => {
    const rows = [
      [-5, -3, -4, -7, -6, -9, -8],
      [-Infinity, -Infinity, -Infinity, -Infinity, -Infinity],
      [1, 2, Number.NaN, 3, 4, 5],
      [1, 2, 3, 4, 5, 6, 7, 8, 9],
      [Number.NaN],
      // a NaN after the first vectors, where the running maximum is already larger; one before −∞
      Array.from({ length: 19 }, (_, i) => (i === 13 ? Number.NaN : 100 - i)),
      Array.from({ length: 16 }, (_, i) => (i === 4 ? Number.NaN : i === 9 ? Number.NEGATIVE_INFINITY : -i)),
      // the maximum in each lane of a vector in turn
      ...[0, 1, 2, 3].map((lane) => Array.from({ length: 12 }, (_, i) => (i === 4 + lane ? 50 : i))),
    ];
    for (const row of rows) {
      const { cpu, wasm } = await onCpuAndWasm(() => tf.max(tf.tensor2d([row, row.map((v) => v - 1)]), 1));
      expect(Array.from(wasm[0])).toEqual(Array.from(cpu[0]));
    }
  });
});

describe('Max over trailing axes never falls back to the stock kernel', () => {
  expectTrailingAxesWithoutStock(maxConfig, tf.max, 'reductionIndices');
});
