import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { heapMemory } from '../../src/core/heap.js';
import { useWasmKernels } from '../backends.js';
import { expectMatch, onCpuAndWasm, rand } from '../compare.js';

// MaxPoolGrad on wasm (this package's kernel) against tfjs's cpu backend.
beforeAll(useWasmKernels);

describe('MaxPoolGrad on wasm matches cpu', () => {
  it('finds the heap memory its SIMD path runs on', async () => {
    await tf.setBackend('wasm');
    expect(heapMemory(tf.backend())).not.toBeNull();
  });
  for (const [shape, size, stride, pad] of [
    // Windows tiling the input (the branch-free path; rows and columns past the last window get
    // no gradient), then windows past the input's edge and overlapping windows (the search).
    [[4, 8, 8, 3], 2, 2, 'valid'],
    [[3, 7, 9, 6], 2, 2, 'valid'],
    // 2 × 2 tiles with channels in fours: the WebAssembly SIMD path, in place on the heap.
    [[4, 8, 8, 8], 2, 2, 'valid'],
    [[3, 7, 9, 12], 2, 2, 'valid'],
    [[2, 6, 10, 16], 2, 2, 'same'],
    [[2, 11, 10, 4], 3, 3, 'valid'],
    [[4, 9, 9, 3], 2, 2, 'same'],
    [[2, 9, 9, 5], 3, 2, 'same'],
    [[2, 10, 7, 4], 3, 1, 'valid'],
  ] as [number[], number, number, 'same' | 'valid'][]) {
    it(`[${shape}] pool ${size} stride ${stride} ${pad}, with ties`, async () => {
      const { cpu, wasm } = await onCpuAndWasm(() => {
        // Rounded values make ties frequent: the gradient must go to the first maximum, as on cpu.
        const x = tf.round(tf.mul(rand(shape), 1.5));
        return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, size, stride, pad), 3)))(x);
      });
      expectMatch(cpu, wasm);
    });
  }
});
