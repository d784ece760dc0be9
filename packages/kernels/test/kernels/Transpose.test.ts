import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, it } from 'vitest';
import { useWasmKernels } from '../backends.js';
import { expectMatch, onCpuAndWasm, rand } from '../compare.js';

// Transpose on wasm (this package's kernel) against tfjs's cpu backend.
beforeAll(useWasmKernels);

describe('Transpose on wasm matches cpu', () => {
  const cases: [number[], number[]][] = [
    [
      [37, 53],
      [1, 0],
    ],
    [
      [300, 7],
      [1, 0],
    ],
    [
      [4, 5, 6],
      [0, 2, 1],
    ],
    [
      [4, 5, 6],
      [1, 0, 2],
    ],
    [
      [4, 5, 6],
      [2, 1, 0],
    ],
    [
      [4, 5, 6],
      [1, 2, 0],
    ],
    [
      [3, 1, 4, 5],
      [3, 1, 2, 0],
    ],
    [
      [6, 7, 8, 9],
      [3, 1, 2, 0],
    ],
    [
      [6, 7, 8, 9],
      [1, 2, 0, 3],
    ],
    [
      [2, 3, 4, 5, 6],
      [4, 0, 3, 1, 2],
    ],
    [
      [5, 1, 1],
      [2, 0, 1],
    ],
  ];
  for (const [shape, perm] of cases) {
    it(`[${shape}] by [${perm}], float32 and int32`, async () => {
      const { cpu, wasm } = await onCpuAndWasm(() => {
        const x = rand(shape);
        return [tf.transpose(x, perm), tf.cast(tf.transpose(tf.cast(tf.mul(x, 1000), 'int32'), perm), 'float32')];
      });
      expectMatch(cpu, wasm, 0);
    });
  }

  it('bool tensors go to the stock kernel', async () => {
    const { cpu, wasm } = await onCpuAndWasm(() => tf.cast(tf.transpose(tf.greater(rand([3, 4, 5]), 0), [2, 0, 1]), 'float32'));
    expectMatch(cpu, wasm, 0);
  });
});
