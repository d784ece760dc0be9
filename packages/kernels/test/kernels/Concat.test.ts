import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, it } from 'vitest';
import { useWasmKernels } from '../backends.js';
import { expectMatch, onCpuAndWasm, rand } from '../compare.js';

// Concat on wasm (this package's kernel) against tfjs's cpu backend.
beforeAll(useWasmKernels);

describe('Concat on wasm matches cpu', () => {
  for (const [shapes, axis] of [
    [
      [
        [3, 4],
        [5, 4],
      ],
      0,
    ],
    [
      [
        [300, 64],
        [300, 3],
        [300, 100],
      ],
      1,
    ],
    [
      [
        [4, 5, 6],
        [4, 2, 6],
        [4, 0, 6],
        [4, 7, 6],
      ],
      1,
    ],
    [
      [
        [4, 5, 6, 2],
        [4, 5, 6, 30],
      ],
      -1,
    ],
    [[[2048], [10]], 0],
  ] as [number[][], number][]) {
    it(`${shapes.map((s) => `[${s}]`).join(' + ')} on axis ${axis}, and its gradient`, async () => {
      const { cpu, wasm } = await onCpuAndWasm(() => {
        const xs = shapes.map((s) => rand(s));
        const ints = tf.cast(
          tf.concat(
            xs.map((x) => tf.cast(tf.mul(x, 1000), 'int32')),
            axis,
          ),
          'float32',
        );
        const bools = tf.cast(
          tf.concat(
            xs.map((x) => tf.greater(x, 0)),
            axis,
          ),
          'float32',
        );
        const grads = tf.grads((...ts: tf.Tensor[]) => tf.sum(tf.mul(tf.concat(ts, axis), tf.concat(xs, axis))))(xs);
        return [tf.concat(xs, axis), ints, bools, ...grads];
      });
      expectMatch(cpu, wasm, 0);
    });
  }
});
