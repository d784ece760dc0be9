import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, it } from 'vitest';
import { useWasmKernels } from '../backends.js';
import { expectMatch, onCpuAndWasm, rand } from '../compare.js';

// SplitV on wasm (this package's kernel) against tfjs's cpu backend.
beforeAll(useWasmKernels);

describe('SplitV on wasm matches cpu', () => {
  it('split into sizes along each axis, float32, int32 and bool', async () => {
    const { cpu, wasm } = await onCpuAndWasm(() => {
      const x = rand([6, 40, 10]);
      const split = (t: tf.Tensor) => [...tf.split(t, [1, 5], 0), ...tf.split(t, [10, 20, 10], 1), ...tf.split(t, 5, 2)];
      return [...split(x), ...split(tf.cast(tf.mul(x, 1000), 'int32')), ...split(tf.greater(x, 0))].map((t) =>
        tf.cast(t, 'float32'),
      );
    });
    expectMatch(cpu, wasm, 0);
  });
});
