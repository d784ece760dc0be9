import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { useFastestBackend } from '@xclr/backend';
import { describe, expect, it } from 'vitest';
import {
  barlowTwinsGraphLoss,
  barlowTwinsLoss,
  ntXentQueueLoss,
  supConQueueLoss,
  vicregGraphLoss,
  vicregLoss,
  xclrQueueLoss,
} from '../src/index.js';
import { expectClose, flat } from './helpers.js';
import { fixture, lossOf, name } from './reference-cases.js';

// Every loss against its PyTorch float64 fixtures on tfjs's webgpu backend (`npm run
// test:webgpu`: Dawn, on a GPU or on Mesa's software rasterizer). Each backend has its own kernels
// (wasm.test.ts found a wrong stock OneHot), so the losses are checked on this one too. Skips,
// saying why, where no WebGPU adapter can be had.

async function webgpu(): Promise<string | null> {
  try {
    const choice = await useFastestBackend({ backend: 'webgpu' });
    console.log(`losses on ${choice.adapter?.device || 'webgpu'}`);
    // Small ops on CPU-resident inputs would run on the cpu backend: make everything run here.
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}
const skipped = await webgpu();
if (skipped) console.warn(`webgpu lane skipped: ${skipped}`);
const suite = (title: string) => (skipped ? `${title} (skipped: ${skipped})` : title);

type Loss = (zA: tf.Tensor2D, zB: tf.Tensor2D) => tf.Scalar;

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

interface VicregBarlowCase {
  loss: 'vicreg' | 'barlow' | 'vicreg-graph' | 'barlow-graph';
  n: number;
  d: number;
  options: Record<string, number>;
  zA: number[][];
  zB: number[][];
  similarity?: number[][];
  value: number;
  gradA: number[][];
  gradB: number[][];
}
const vicregBarlow = JSON.parse(readFileSync(new URL('./fixtures/vicreg-barlow.json', import.meta.url), 'utf8')) as {
  cases: VicregBarlowCase[];
};

describe.skipIf(skipped != null)(suite('VICReg and Barlow Twins on webgpu match the PyTorch references'), () => {
  for (const c of vicregBarlow.cases) {
    it(`${c.loss} N=${c.n} D=${c.d} ${JSON.stringify(c.options)}`, async () => {
      const similarity = c.similarity ? tf.tensor2d(c.similarity) : null;
      const graph = { ...c.options, similarity: similarity as tf.Tensor2D };
      const f: Record<VicregBarlowCase['loss'], Loss> = {
        vicreg: (a, b) => vicregLoss(a, b, c.options),
        barlow: (a, b) => barlowTwinsLoss(a, b, c.options),
        'vicreg-graph': (a, b) => vicregGraphLoss(a, b, graph),
        'barlow-graph': (a, b) => barlowTwinsGraphLoss(a, b, graph),
      };
      await expectCase(f[c.loss], c, 1e-5, 1e-4);
      similarity?.dispose();
    });
  }
});

interface QueueCase {
  loss: 'xclr' | 'ntxent' | 'supcon';
  mode?: 'all' | 'cross';
  contrastMode?: 'all' | 'one';
  n: number;
  d: number;
  q: number;
  temperature: number;
  targetTemperature?: number;
  baseTemperature?: number;
  zA: number[][];
  zB: number[][];
  queue: number[][];
  similarity?: number[][];
  queueSimilarity?: number[][];
  labels?: number[];
  queueLabels?: number[];
  value: number;
  gradA: number[][];
  gradB: number[][];
}
const queued = JSON.parse(readFileSync(new URL('./fixtures/queue.json', import.meta.url), 'utf8')) as { cases: QueueCase[] };

describe.skipIf(skipped != null)(suite('queued losses on webgpu match the PyTorch references'), () => {
  for (const c of queued.cases) {
    it(`${c.loss} N=${c.n} D=${c.d} Q=${c.q} τ=${c.temperature} ${[c.mode, c.contrastMode].filter(Boolean).join(' ')}`, async () => {
      const queue = {
        embeddings: tf.tensor2d(flat(c.queue), [c.q, c.d]),
        similarity: c.queueSimilarity && tf.tensor2d(flat(c.queueSimilarity), [c.n, c.q]),
        labels: c.queueLabels,
      };
      const similarity = c.similarity && tf.tensor2d(c.similarity);
      const labels = c.labels && tf.tensor1d(c.labels, 'int32');
      const { temperature, targetTemperature, baseTemperature, mode, contrastMode } = c;
      const f: Record<QueueCase['loss'], Loss> = {
        xclr: (a, b) => xclrQueueLoss(a, b, similarity as tf.Tensor2D, queue, { temperature, targetTemperature, mode }),
        ntxent: (a, b) => ntXentQueueLoss(a, b, queue, { temperature }),
        supcon: (a, b) => supConQueueLoss(a, b, labels as tf.Tensor1D, queue, { temperature, baseTemperature, contrastMode }),
      };
      // τ = 0.01 puts logits at ±100, where float32 keeps about 1e-5 of them (as queue.test.ts).
      const small = c.temperature < 0.05;
      await expectCase(f[c.loss], c, small ? 1e-4 : 1e-5, small ? 1e-3 : 1e-4);
      tf.dispose([queue.embeddings, queue.similarity ?? [], similarity ?? [], labels ?? []].flat());
    });
  }
});
