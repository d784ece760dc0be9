import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, it } from 'vitest';
import { useWasmKernels } from '../backends.js';
import { asFloat, expectMatch, onCpuAndWasm, rand } from '../compare.js';

// Slice on wasm (this package's kernel) against tfjs's cpu backend.
beforeAll(useWasmKernels);

describe('Slice on wasm matches cpu', () => {
  const cases: [number[], number[], number[]][] = [
    [[4096], [17], [3000]],
    [
      [64, 300],
      [10, 0],
      [20, 300],
    ], // whole rows: one run
    [
      [64, 300],
      [0, 5],
      [64, 7],
    ], // short runs per row
    [
      [64, 300],
      [3, 40],
      [50, 200],
    ],
    [
      [5, 6, 7, 8],
      [1, 2, 0, 0],
      [3, 3, 7, 8],
    ],
    [
      [5, 6, 7, 8],
      [1, 0, 2, 3],
      [2, 6, 4, 5],
    ],
    [
      [5, 6, 7, 40],
      [0, 1, 1, 0],
      [5, 4, 5, 40],
    ],
    [
      [2, 3, 4, 5, 20],
      [1, 1, 0, 2, 0],
      [1, 2, 4, 3, 20],
    ],
    [
      [9, 9],
      [2, 2],
      [0, 4],
    ], // empty
  ];
  for (const [shape, begin, size] of cases) {
    it(`[${shape}] from [${begin}] size [${size}]`, async () => {
      const { cpu, wasm } = await onCpuAndWasm(() => asFloat(rand(shape), (t) => tf.slice(t, begin, size)));
      expectMatch(cpu, wasm, 0);
    });
  }

  it('the gradient of slice', async () => {
    const { cpu, wasm } = await onCpuAndWasm(() =>
      tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.slice(t, [1, 3, 2], [4, 30, 5]), 3)))(rand([6, 40, 10])),
    );
    expectMatch(cpu, wasm, 0);
  });
});
