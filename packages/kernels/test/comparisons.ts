import * as tf from '@tensorflow/tfjs-core';
import { it } from 'vitest';
import { expectMatch, onCpuAndWasm, rand } from './compare.js';

/** Broadcast shapes for the comparison kernels: the last pair (equal shapes) takes the stock kernel. */
export const COMPARISON_SHAPES: [number[], number[]][] = [
  [
    [300, 1],
    [1, 200],
  ],
  [
    [300, 200],
    [300, 1],
  ],
  [[300, 200], [200]],
  [[7], [5, 1]],
  [
    [4, 1, 6, 1],
    [5, 1, 3],
  ],
  [[6, 7], []],
  [
    [3, 4],
    [3, 4],
  ], // equal shapes: the stock kernel
];

/** One test per shape pair: `op` on float32, int32 and bool inputs, exactly as on cpu. */
export function comparisonTests(op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): void {
  for (const [aShape, bShape] of COMPARISON_SHAPES) {
    it(`[${aShape}] against [${bShape}], float32, int32 and bool`, async () => {
      const { cpu, wasm } = await onCpuAndWasm(() => {
        // Small integers so that ties (equal values) occur.
        const a = tf.round(tf.mul(rand(aShape), 2));
        const b = tf.round(tf.mul(rand(bShape), 2));
        return [op(a, b), op(tf.cast(a, 'int32'), tf.cast(b, 'int32')), op(tf.greater(a, 0), tf.greater(b, 0))].map((t) =>
          tf.cast(t, 'float32'),
        );
      });
      expectMatch(cpu, wasm, 0);
    });
  }
}
