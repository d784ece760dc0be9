import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, it } from 'vitest';
import { useWasmKernels } from '../backends.js';
import { expectMatch, onCpuAndWasm } from '../compare.js';

// OneHot on wasm (this package's kernel) against tfjs's cpu backend.
beforeAll(useWasmKernels);

describe('OneHot on wasm matches cpu', () => {
  // The stock wasm kernel wrote int32 bit patterns into float32 outputs.
  for (const [name, on, off, dtype] of [
    ['float32 1 / 0', 1, 0, 'float32'],
    ['float32 0 / 1', 0, 1, 'float32'],
    ['float32 -1e9 / 0.5', -1e9, 0.5, 'float32'],
    ['int32 (stock kernel)', 3, -2, 'int32'],
  ] as [string, number, number, 'float32' | 'int32'][]) {
    it(`${name}, indices out of range give off everywhere`, async () => {
      const { cpu, wasm } = await onCpuAndWasm(() =>
        tf.cast(tf.oneHot(tf.tensor2d([0, 4, 2, -1, 5, 1], [2, 3], 'int32'), 5, on, off, dtype), 'float32'),
      );
      expectMatch(cpu, wasm, 0);
    });
  }
});
