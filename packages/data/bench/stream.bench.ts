// Streaming against in-memory reading of WebDataset shards: time to the first batch, images per
// second over an epoch, and the cost of replaying an epoch up to its last step (what a resume does).
// Without augmentation, so that decoding is what is measured. Rows: `in memory` is readWebDataset
// then ContrastiveLoader, `stream` is streamWebDataset at three concurrencies.
//
//   npx tsx --conditions=@xclr/source bench/stream.bench.ts [--samples 20000] [--size 64] [--batch 256]
//       [--shards DIR]   (default: the synthetic set, written once to $TMPDIR/xclr-stream-bench-<samples>-<size>)
//
// Writes bench/results/stream.json. Run it on an otherwise idle machine: the numbers are decode
// throughput, which shares the cores with whatever else runs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useFastestBackend } from '@xclr/backend';
import { ContrastiveLoader, disposeBatch, NO_AUGMENT, readWebDataset, streamWebDataset, writeSynthSplits } from '../src/index.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const samples = Number(arg('samples', '20000'));
const size = Number(arg('size', '64'));
const batchSize = Number(arg('batch', '256'));

await useFastestBackend({ backend: 'cpu' });
let dir = arg('shards', '');
if (!dir) {
  const out = path.join(os.tmpdir(), `xclr-stream-bench-${samples}-${size}`);
  if (!fs.existsSync(path.join(out, 'done'))) {
    await writeSynthSplits({ out, trainCount: samples, testCount: 1, seed: 0, shardSize: 1000, size });
    fs.writeFileSync(path.join(out, 'done'), '');
  }
  dir = path.join(out, 'train');
}
const shards = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.tar'))
  .sort()
  .map((f) => path.join(dir, f));

type Row = { reader: string; concurrency?: number; firstBatchSeconds: number; imagesPerSecond: number; seconds: number };
const rows: Row[] = [];
const seconds = (t0: number) => (performance.now() - t0) / 1000;

{
  const t0 = performance.now();
  const { dataset } = await readWebDataset(shards, { size });
  const loader = new ContrastiveLoader(dataset, { batchSize, seed: 0, augment: NO_AUGMENT });
  let first = 0;
  let n = 0;
  for await (const batch of loader.epoch(0)) {
    if (!n) first = seconds(t0);
    n += batch.indices.length;
    disposeBatch(batch);
  }
  rows.push({
    reader: 'in memory',
    firstBatchSeconds: first,
    seconds: seconds(t0),
    imagesPerSecond: n / seconds(t0),
  });
}

let replay = { steps: 0, seconds: 0 };
for (const concurrency of [4, 16, 64]) {
  const t0 = performance.now();
  const stream = await streamWebDataset(shards, { batchSize, seed: 0, augment: NO_AUGMENT, imageSize: size, concurrency });
  let first = 0;
  let n = 0;
  for await (const batch of stream.epoch(0)) {
    if (!n) first = seconds(t0);
    n += batch.indices.length;
    disposeBatch(batch);
  }
  rows.push({
    reader: 'stream',
    concurrency,
    firstBatchSeconds: first,
    seconds: seconds(t0),
    imagesPerSecond: n / seconds(t0),
  });
  if (concurrency === 16) {
    const t1 = performance.now();
    for await (const batch of stream.epoch(0, stream.stepsPerEpoch - 1)) disposeBatch(batch);
    replay = { steps: stream.stepsPerEpoch - 1, seconds: seconds(t1) };
  }
}

console.log(`${samples} samples at ${size}×${size}, batch ${batchSize}, no augmentation, ${os.availableParallelism()} cores`);
console.log(['reader', 'concurrency', 'first batch s', 'epoch s', 'images/s'].map((h) => h.padStart(14)).join(''));
for (const r of rows)
  console.log(
    [r.reader, r.concurrency ?? '-', r.firstBatchSeconds.toFixed(2), r.seconds.toFixed(2), r.imagesPerSecond.toFixed(0)]
      .map((c) => String(c).padStart(14))
      .join(''),
  );
console.log(`resume at step ${replay.steps}: the last batch after ${replay.seconds.toFixed(2)} s (replay reads no image)`);
const out = path.join(path.dirname(new URL(import.meta.url).pathname), 'results', 'stream.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), samples, size, batchSize, rows, replay }, null, 2)}\n`);
console.log(`wrote ${out}`);
