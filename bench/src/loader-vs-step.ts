#!/usr/bin/env node
// Does the streamed loader keep up with training? Streamed images per second (WebDataset shards
// decoded with sharp, two SimCLR views each) against the ConvNet's training samples per second on
// the same images' size, in one process on the training backend. From the repository root:
//
//   npm run bench:loader -- [--size 64] [--batch 256] [--samples 6144] [--out docs/results/loader-vs-step.json]
//
// The shards are the synthetic set, written once to $TMPDIR/xclr-loader-bench-<samples>-<size>.
// Run it on an otherwise idle machine.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { relaunchWithMallocTuning } from '@xclr/process';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '64' },
      batch: { type: 'string', default: '256' },
      samples: { type: 'string', default: '6144' },
      out: { type: 'string', default: path.join('docs', 'results', 'loader-vs-step.json') },
    },
  });
  const size = Number(values.size);
  const batchSize = Number(values.batch);
  const samples = Number(values.samples);
  const { useFastestBackend } = await import('@xclr/backend');
  const { disposeBatch, simclrAugment, streamWebDataset, writeSynthSplits } = await import('@xclr/data');
  const { benchTrainStep } = await import('./train-step.js');
  const choice = await useFastestBackend({ backend: 'wasm' });

  const dir = path.join(os.tmpdir(), `xclr-loader-bench-${samples}-${size}`);
  if (!fs.existsSync(path.join(dir, 'done'))) {
    await writeSynthSplits({ out: dir, trainCount: samples, testCount: 1, seed: 0, shardSize: 1000, size });
    fs.writeFileSync(path.join(dir, 'done'), '');
  }
  const shards = fs
    .readdirSync(path.join(dir, 'train'))
    .filter((f) => f.endsWith('.tar'))
    .sort()
    .map((f) => path.join(dir, 'train', f));

  // The loader: the first batch (index pass, first decodes) is timed apart from the rest.
  const t0 = performance.now();
  const stream = await streamWebDataset(shards, { batchSize, seed: 0, augment: simclrAugment(3), imageSize: size });
  let first = 0;
  let t1 = 0;
  let images = 0;
  for await (const batch of stream.epoch(0)) {
    if (!t1) {
      t1 = performance.now();
      first = (t1 - t0) / 1000;
    } else images += batch.indices.length;
    disposeBatch(batch);
  }
  const loaderSeconds = (performance.now() - t1) / 1000;
  const loader = { imagesPerSecond: images / loaderSeconds, images, seconds: loaderSeconds, firstBatchSeconds: first };

  const step = await benchTrainStep({
    model: 'convnet',
    loss: 'xclr',
    batch: batchSize,
    steps: 5,
    warmup: 2,
    backend: 'wasm',
    inputShape: [size, size, 3],
  });
  const ratio = loader.imagesPerSecond / step.samplesPerSecond;
  const rows = [
    ['streamed loader (decode + 2 SimCLR views)', loader.imagesPerSecond],
    [`ConvNet X-CLR training step (batch ${batchSize})`, step.samplesPerSecond],
  ] as const;
  console.log(
    `${size}×${size} images, batch ${batchSize}, ${choice.backend} (${choice.threads} threads), ${os.availableParallelism()} cores`,
  );
  for (const [what, rate] of rows) console.log(`${what.padEnd(48)}${rate.toFixed(0).padStart(8)} samples/s`);
  console.log(`loader / step: ${ratio.toFixed(2)}× (first batch after ${first.toFixed(2)} s)`);
  const result = {
    date: new Date().toISOString(),
    cores: os.availableParallelism(),
    size,
    batchSize,
    backend: { name: choice.backend, threads: choice.threads, native: choice.native },
    loader,
    step: { model: 'convnet', filters: [32, 64], samplesPerSecond: step.samplesPerSecond, medianStepMs: step.medianStepMs },
    ratio,
  };
  fs.mkdirSync(path.dirname(values.out), { recursive: true });
  fs.writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${values.out}`);
}

const relaunched = relaunchWithMallocTuning();
if (relaunched) process.exitCode = await relaunched;
else await main();
