import * as tf from '@tensorflow/tfjs-core';
import { useFastestBackend } from '@xclr/backend';
import { webgpuSkipReason } from '@xclr/vitest-config/webgpu';
import { describe, expect, it } from 'vitest';
import { expectClose, flat, type Loss } from './helpers.js';
import { queueCaseName, queuedLossOf, queueFixture, queueOf } from './queue-cases.js';
import { fixture, lossOf, name } from './reference-cases.js';
import { vicregBarlowFixture, vicregBarlowLossOf } from './vicreg-barlow-cases.js';

// Every loss against its PyTorch float64 fixtures on tfjs's webgpu backend (`npm run
// test:webgpu`: Dawn, on a GPU or on Mesa's software rasterizer). Each backend has its own kernels
// (wasm.test.ts found a wrong stock OneHot), so the losses are checked on this one too. Skips,
// saying why, where no WebGPU adapter can be had.

const skipped = await webgpuSkipReason(async () => {
  const choice = await useFastestBackend({ backend: 'webgpu' });
  console.log(`losses on ${choice.adapter?.device || 'webgpu'}`);
  // Small ops on CPU-resident inputs would run on the cpu backend: make everything run here.
  tf.env().set('WEBGPU_CPU_FORWARD', false);
});
const suite = (title: string) => (skipped ? `${title} (skipped: ${skipped})` : title);

/** Value and both gradients, checked as the cpu tests check them: gradients relative to their largest entry. */
async function expectCase(
  f: Loss,
  c: { zA: number[][]; zB: number[][]; value: number; gradA: number[][]; gradB?: number[][] | null },
  rtol: number,
  gtol: number,
) {
  expect(tf.getBackend()).toBe('webgpu');
  const zA = tf.tensor2d(c.zA);
  const zB = tf.tensor2d(c.zB);
  const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) =>
    // zB reaches the loss in every case (one-view SupCon ignores it): a zero term keeps tf.grads happy.
    tf.add(f(a as tf.Tensor2D, b as tf.Tensor2D), tf.mul(tf.sum(b), 0)),
  )([zA, zB]);
  // Reads are asynchronous: tfjs's webgpu readSync needs OffscreenCanvas, which Node lacks.
  expectClose(await value.data(), [c.value], rtol);
  const scale = Math.max(...flat(c.gradA).map(Math.abs), ...(c.gradB ? flat(c.gradB).map(Math.abs) : []));
  expectClose(await grads[0].data(), flat(c.gradA), gtol, gtol * scale);
  if (c.gradB) expectClose(await grads[1].data(), flat(c.gradB), gtol, gtol * scale);
  tf.dispose([zA, zB, value, ...grads]);
}

describe.skipIf(skipped != null)(suite('NT-Xent, X-CLR, SupCon and CLIP on webgpu match the PyTorch references'), () => {
  for (const c of fixture.cases) {
    it(name(c), async () => {
      const logScale = tf.scalar(c.logScale ?? 0);
      const f = lossOf(c);
      await expectCase((a, b) => f(a, b, logScale), c, 1e-5, 1e-4);
      logScale.dispose();
    });
  }
});

describe.skipIf(skipped != null)(suite('VICReg and Barlow Twins on webgpu match the PyTorch references'), () => {
  for (const c of vicregBarlowFixture.cases) {
    it(`${c.loss} N=${c.n} D=${c.d} ${JSON.stringify(c.options)}`, async () => {
      const similarity = c.similarity ? tf.tensor2d(c.similarity) : null;
      await expectCase(vicregBarlowLossOf(c, similarity), c, 1e-5, 1e-4);
      similarity?.dispose();
    });
  }
});

describe.skipIf(skipped != null)(suite('queued losses on webgpu match the PyTorch references'), () => {
  for (const c of queueFixture.cases) {
    it(queueCaseName(c), async () => {
      const queue = queueOf(c);
      // τ = 0.01 puts logits at ±100, where float32 keeps about 1e-5 of them (as queue.test.ts).
      const small = c.temperature < 0.05;
      await expectCase(queuedLossOf(c, queue), c, small ? 1e-4 : 1e-5, small ? 1e-3 : 1e-4);
      tf.dispose([queue.embeddings, queue.similarity ?? []].flat());
    });
  }
});
