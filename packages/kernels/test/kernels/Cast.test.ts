import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
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

describe('Cast to the same dtype on wasm', () => {
  it('shares the input buffer: same values, survives disposing the input, frees it with the last reference', async () => {
    const before = tf.memory().numBytes;
    const x = tf.tensor1d([1.5, -2, 3.25]);
    const y = tf.cast(x, 'float32');
    const b = tf.tensor1d([1, 0, 1], 'bool');
    const z = tf.cast(b, 'bool');
    expect(y).not.toBe(x);
    expect(y.dataId).toBe(x.dataId); // no copy
    x.dispose();
    expect(await y.data()).toEqual(Float32Array.from([1.5, -2, 3.25]));
    expect(await z.data()).toEqual(Uint8Array.from([1, 0, 1]));
    tf.dispose([y, b]);
    expect(await z.data()).toEqual(Uint8Array.from([1, 0, 1]));
    z.dispose();
    expect(tf.memory().numBytes).toBe(before);
  });
});
