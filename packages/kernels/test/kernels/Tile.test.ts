import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, it } from 'vitest';
import { useWasmKernels } from '../backends.js';
import { asFloat, expectMatch, onCpuAndWasm, rand } from '../compare.js';

// Tile on wasm (this package's kernel) against tfjs's cpu backend.
beforeAll(useWasmKernels);

describe('Tile on wasm matches cpu', () => {
  for (const [shape, reps] of [
    [
      [1, 1, 1, 64],
      [8, 5, 5, 1],
    ], // the batch-norm gradient's tile
    [
      [3, 4],
      [2, 3],
    ],
    [
      [3, 40],
      [1, 2],
    ],
    [
      [2, 1, 3],
      [2, 4, 1],
    ],
    [[7], [5]],
    [
      [2, 3, 4],
      [1, 1, 1],
    ],
    [
      [2, 3],
      [0, 2],
    ],
  ]) {
    it(`[${shape}] by [${reps}], float32, int32 and bool, and its gradient`, async () => {
      const { cpu, wasm } = await onCpuAndWasm(() => {
        const x = rand(shape);
        const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.tile(t, reps))))(x);
        return [...asFloat(x, (t) => tf.tile(t, reps)), grad];
      });
      expectMatch(cpu, wasm, 0);
    });
  }
});
