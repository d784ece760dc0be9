import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { meanConfig } from '../../src/kernels/Mean.js';
import { runWithoutStock, useWasmKernels } from '../backends.js';
import { REDUCE_CASES } from '../cases.js';
import { expectMatch, onCpuAndWasm, rand } from '../compare.js';

// Mean on wasm (this package's kernel) against tfjs's cpu backend.
beforeAll(useWasmKernels);

describe('Mean on wasm matches cpu', () => {
  for (const [shape, axis, keepDims] of REDUCE_CASES) {
    it(`[${shape}] over ${JSON.stringify(axis)}${keepDims ? ', keepDims' : ''}`, async () => {
      // An offset keeps the means away from zero, where only absolute error means anything.
      const { cpu, wasm } = await onCpuAndWasm(() => tf.mean(tf.add(rand(shape), 0.5), axis, keepDims));
      expectMatch(cpu, wasm);
    });
  }
});

describe('Mean over trailing axes never falls back to the stock kernel', () => {
  // The values tests above pass on either path: these fail if a change sends the rows (or every
  // axis at once, one row) back to the stock one-float-at-a-time kernel.
  for (const axis of [2, [1, 2], null]) {
    it(`[5, 6, 7] over ${JSON.stringify(axis)}`, async () => {
      await tf.setBackend('wasm');
      const x = tf.add(tf.randomNormal([5, 6, 7], 0, 1, 'float32', 4), 0.5);
      const got = runWithoutStock(meanConfig, x, { axis: axis, keepDims: false });
      const want = tf.mean(x, axis ?? undefined);
      expect(
        Array.from(got).every((v, i) => Math.abs(v - want.dataSync()[i]) <= 1e-5 * Math.abs(want.dataSync()[i]) + 1e-6),
      ).toBe(true);
      tf.dispose([x, want]);
    });
  }
});
