// Loader throughput: two augmented views of batch 256 from Fashion-MNIST, images per second, on
// each backend present.   npm run bench -w @xclr/data   (writes bench/results/loader.json)
import fs from 'node:fs';
import path from 'node:path';
import { useFastestBackend } from '@xclr/backend';
import { ContrastiveLoader, disposeBatch, loadMnistFamily, NO_AUGMENT, simclrAugment } from '../src/index.js';

const train = loadMnistFamily('fashion-mnist', { split: 'train' });
const rows: { backend: string; augment: string; imagesPerSecond: number; msPerBatch: number }[] = [];
for (const backend of ['wasm', 'cpu'] as const) {
  await useFastestBackend({ backend });
  for (const [augment, config] of [
    ['simclr', simclrAugment(1)],
    ['none', NO_AUGMENT],
  ] as const) {
    const loader = new ContrastiveLoader(train, { batchSize: 256, seed: 0, augment: config });
    const batches = backend === 'cpu' ? 5 : 20;
    let n = 0;
    let start = 0;
    for await (const batch of loader.epoch(0)) {
      await batch.views[1].data();
      disposeBatch(batch);
      if (n === 1) start = performance.now(); // the first batch warms up
      if (++n > batches) break;
    }
    const ms = (performance.now() - start) / batches;
    rows.push({ backend, augment, msPerBatch: ms, imagesPerSecond: (2 * 256 * 1000) / ms });
  }
}
console.log('two augmented views of 256 Fashion-MNIST images per batch');
console.log(['backend', 'augment', 'ms/batch', 'images/s'].map((h) => h.padStart(10)).join(''));
for (const r of rows) console.log([r.backend, r.augment, r.msPerBatch.toFixed(1), r.imagesPerSecond.toFixed(0)].map((c) => c.padStart(10)).join(''));
const out = path.join(path.dirname(new URL(import.meta.url).pathname), 'results', 'loader.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), rows }, null, 2)}\n`);
console.log(`wrote ${out}`);
