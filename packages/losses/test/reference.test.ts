import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose, flat } from './helpers.js';
import { blocked, fixture, lossOf, name } from './reference-cases.js';

describe.each([
  ['losses match the PyTorch float64 references', fixture.cases, false],
  ['row-blocked NT-Xent and X-CLR match the same references', blocked, true],
] as const)('%s', (_, cases, isBlocked) => {
  expect(cases.length).toBeGreaterThan(isBlocked ? 30 : 100);
  for (const c of cases) {
    it(name(c), () => {
      const zA = tf.tensor2d(c.zA);
      const zB = tf.tensor2d(c.zB);
      const logScale = tf.scalar(c.logScale ?? 0);
      const f = lossOf(c, isBlocked ? Math.ceil(c.n / 3) : undefined);
      // tf.grads needs every input to reach the loss: pass only the ones this loss uses.
      const inputs: tf.Tensor[] = [zA];
      if (c.loss !== 'supcon' || c.twoViews) inputs.push(zB);
      if (c.loss === 'clip') inputs.push(logScale);
      const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) =>
        f(xs[0] as tf.Tensor2D, (xs[1] ?? zB) as tf.Tensor2D, (xs[2] ?? logScale) as tf.Scalar),
      )(inputs);
      expectClose(value.dataSync(), [c.value], 1e-5);
      // Gradients: 1e-4 relative to the largest entry (float32 cancels small entries).
      const scale = Math.max(...flat(c.gradA).map(Math.abs));
      expectClose(grads[0].dataSync(), flat(c.gradA), 1e-4, 1e-4 * scale);
      if (c.gradB) expectClose(grads[1].dataSync(), flat(c.gradB), 1e-4, 1e-4 * scale);
      if (c.gradLogScale !== undefined) expectClose(grads[2].dataSync(), [c.gradLogScale], 1e-4, 1e-6);
      tf.dispose([zA, zB, logScale, value, ...grads]);
    });
  }
});
