// X-CLR with the ConvNet at a large batch through fit's gradient caching (chunkSize): seconds per
// step and peak RSS, on random 28 × 28 images with a 10-class target graph, on the backend and
// with the optimiser the xclr CLI trains with (fastest present, fusedAdam, malloc tuning).
//   npm run bench -w @xclr/training                          (batch 8192, chunk 512, 3 steps)
//   npm run bench -w @xclr/training -- --batch 256 --chunk 64 --steps 1
//   --chunk 0 trains without chunks (the whole batch in one pass), for a comparison at small batches.
// Writes bench/results/gradient-cache.json (--out elsewhere).
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { describeBackend, useFastestBackend } from '@xclr/backend';
import { fusedAdam } from '@xclr/kernels';
import { relaunchWithMallocTuning } from '@xclr/process';
import { ContrastiveModel, type ContrastiveModelConfig } from '@xclr/models';
import { createObjective, fit, type StepLog, type TrainingBatch } from '../src/index.js';

const child = relaunchWithMallocTuning();
if (child) process.exit(await child);

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '8192' },
    chunk: { type: 'string', default: '512' },
    steps: { type: 'string', default: '3' },
    backend: { type: 'string', default: 'auto' },
    head: { type: 'boolean', default: true },
    out: { type: 'string', default: path.join(import.meta.dirname, 'results', 'gradient-cache.json') },
  },
});
const batch = Number(values.batch);
const chunk = Number(values.chunk);
const steps = Number(values.steps);
const CLASSES = 10;

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
// maxRSS is in kilobytes.
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

const choice = await useFastestBackend({ backend: values.backend as 'auto' });
// The fmnist presets' shape: a ConvNet on 28 × 28 × 1 with SimCLR's projection head (batch norm,
// which runs on each view's whole batch after the chunks).
const config: ContrastiveModelConfig = {
  encoder: { type: 'convnet', inputShape: [28, 28, 1], filters: [32, 64], output: 128 },
  head: values.head ? { hidden: 512, output: 128 } : null,
};
const model = new ContrastiveModel(config, 0);
// A class graph by label, as `loss.graph: class-descriptions` gives: symmetric, 1 on the diagonal.
const classSimilarity = tf.tidy(() => {
  const c = tf.randomUniform([CLASSES, CLASSES], 0, 0.6, 'float32', 7);
  return tf.add(tf.mul(tf.add(c, tf.transpose(c)), 0.5), tf.mul(tf.eye(CLASSES), 0.4)) as tf.Tensor2D;
});
const objective = createObjective('xclr', {
  model,
  temperature: 0.1,
  targetTemperature: 0.1,
  weightDecay: 1e-5,
  targets: {
    needs: ['labels'],
    of: (b) =>
      tf.tidy(() => {
        const onehot = tf.oneHot(tf.tensor1d(b.labels as Int32Array, 'int32'), CLASSES);
        return tf.matMul(tf.matMul(onehot, classSimilarity), onehot, false, true) as tf.Tensor2D;
      }),
  },
});
const optimizer = fusedAdam(1e-3);

function* batches(): Generator<TrainingBatch> {
  for (let s = 0; s < steps; s++) {
    const views = [1, 2].map((v) => tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', 100 * s + v));
    const labels = Int32Array.from({ length: batch }, (_, i) => (i * 7 + s) % CLASSES);
    yield { views, labels };
  }
}

const rssBefore = peakRssMb();
console.log(`${describeBackend(choice)}`);
console.log(
  `X-CLR, ConvNet${values.head ? ' + head' : ''}, batch ${batch}, ${chunk > 0 ? `chunk ${chunk}` : 'no chunks'}, ${steps} steps`,
);
const rows: { step: number; seconds: number; loss: number; rssMb: number; peakRssMb: number }[] = [];
await fit({
  objective,
  data: batches(),
  optimizer,
  chunkSize: chunk > 0 ? chunk : undefined,
  callbacks: [
    {
      onStepEnd: (log: StepLog) => {
        const row = {
          step: log.step,
          seconds: log.samples / log.samplesPerSecond,
          loss: log.loss,
          rssMb: mb(process.memoryUsage().rss),
          peakRssMb: peakRssMb(),
        };
        rows.push(row);
        console.log(
          `step ${row.step}: ${row.seconds.toFixed(1)} s, loss ${row.loss.toFixed(4)}, RSS ${row.rssMb} MB, peak ${row.peakRssMb} MB`,
        );
      },
    },
  ],
});

// The first step also builds kernels and Adam's moments: steady state is the median of the rest.
const timed = rows.length > 1 ? rows.slice(1) : rows;
const sorted = timed.map((r) => r.seconds).sort((a, b) => a - b);
const secondsPerStep = sorted[Math.floor(sorted.length / 2)];
const result = {
  backend: describeBackend(choice),
  model: config,
  objective: 'xclr',
  batch,
  chunkSize: chunk > 0 ? chunk : null,
  steps,
  secondsPerStep,
  samplesPerSecond: batch / secondsPerStep,
  peakRssMb: peakRssMb(),
  peakRssBeforeTrainingMb: rssBefore,
  rows,
  node: process.version,
  date: new Date().toISOString(),
};
console.log('\n| batch | chunk | s / step | samples / s | peak RSS (MB) |');
console.log('|---:|---:|---:|---:|---:|');
console.log(
  `| ${batch} | ${chunk > 0 ? chunk : '–'} | ${secondsPerStep.toFixed(2)} | ${result.samplesPerSecond.toFixed(0)} | ${result.peakRssMb} |`,
);
fs.mkdirSync(path.dirname(values.out), { recursive: true });
fs.writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${values.out}`);
