import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, it } from 'vitest';
import { useWasmKernels } from '../backends.js';
import { asFloat, expectMatch, onCpuAndWasm, rand } from '../compare.js';

// Reverse on wasm (this package's kernel) against tfjs's cpu backend.
beforeAll(useWasmKernels);

describe('Reverse on wasm matches cpu', () => {
  for (const [shape, dims] of [
    [
      [3, 3, 40, 24],
      [0, 1],
    ], // Conv2DBackpropInput's filter flip
    [[3, 3, 4, 5], [1]],
    [[5, 6, 7], [2]],
    [
      [5, 6, 7],
      [0, 2],
    ],
    [
      [5, 6, 7],
      [0, 1, 2],
    ],
    [[50], [0]],
    [[4, 5], []],
  ]) {
    it(`[${shape}] over [${dims}], float32, int32 and bool`, async () => {
      const { cpu, wasm } = await onCpuAndWasm(() => asFloat(rand(shape), (t) => tf.reverse(t, dims)));
      expectMatch(cpu, wasm, 0);
    });
  }
});
