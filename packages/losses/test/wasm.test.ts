import * as tf from '@tensorflow/tfjs-core';
import { useFastestBackend } from '@xclr/backend';
import { beforeAll, describe, it } from 'vitest';
import { expectClose, flat } from './helpers.js';
import { blocked, fixture, lossOf, name } from './reference-cases.js';

// The same PyTorch float64 references on the wasm backend: each backend has its own kernels (the
// stock wasm OneHot, for one, ignores the dtype it is asked for), so the losses are checked on
// the backend this project trains on too, unblocked and row-blocked. Cases up to N = 64 keep
// this quick; tolerances are float32 ones (wasm sums in a different order than cpu).

beforeAll(async () => {
  await useFastestBackend({ backend: 'wasm' });
});

describe.each([
  ['losses on wasm match the PyTorch float64 references', fixture.cases, false],
  ['row-blocked losses on wasm match them too', blocked, true],
] as const)('%s', (_, cases, isBlocked) => {
  for (const c of cases.filter((c) => c.n <= 64)) {
    it(name(c), () => {
      const zA = tf.tensor2d(c.zA);
      const zB = tf.tensor2d(c.zB);
      const logScale = tf.scalar(c.logScale ?? 0);
      const f = lossOf(c, isBlocked ? Math.ceil(c.n / 3) : undefined);
      const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) =>
        // zB reaches the loss in every case (one-view SupCon ignores it): a zero term keeps tf.grads happy.
        tf.add(f(a as tf.Tensor2D, b as tf.Tensor2D, logScale), tf.mul(tf.sum(b), 0)),
      )([zA, zB]);
      expectClose(value.dataSync(), [c.value], 1e-4);
      const scale = Math.max(...flat(c.gradA).map(Math.abs));
      expectClose(grads[0].dataSync(), flat(c.gradA), 1e-3, 1e-3 * scale);
      tf.dispose([zA, zB, logScale, value, ...grads]);
    });
  }
});
