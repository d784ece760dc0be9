import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, it } from 'vitest';
import { useWasmKernels } from '../backends.js';
import { expectMatch, onCpuAndWasm, rand } from '../compare.js';

// Cast on wasm (this package's kernel) against tfjs's cpu backend.
beforeAll(useWasmKernels);

describe('Cast int32 → float32 on wasm (SIMD) matches cpu', () => {
  for (const shape of [[7, 5], [4096], [3]]) {
    it(`[${shape}]`, async () => {
      const { cpu, wasm } = await onCpuAndWasm(() => tf.cast(tf.cast(tf.mul(rand(shape), 1e6), 'int32'), 'float32'));
      expectMatch(cpu, wasm, 0);
    });
  }
});
