// Caption-embedding throughput (captions/s) per encoder on this machine: the bundled USE-lite on
// each tfjs backend, and the transformers.js path on the tiny BERT-format model the tests generate
// (no real pretrained weights can be fetched here, so that row measures the pipeline's overhead —
// tokeniser, onnxruntime session, pooling — not a MiniLM).
//   npm run bench:embed -w @xclr/graph     (writes bench/results/embed.json)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useFastestBackend } from '@xclr/backend';
import { createTransformersEncoder, createUseLiteEncoder, type TextEncoder } from '../src/index.js';
import { writeTinyBert } from '../test/helpers/tiny-bert.js';

const colours = ['red', 'blue', 'green', 'yellow', 'purple', 'orange', 'white', 'grey'];
const things = ['sneaker', 'bag', 'coat', 'dress', 'shirt', 'trouser', 'sandal', 'boot', 'pullover', 't-shirt'];
const backgrounds = ['plain', 'striped', 'checkered', 'dotted', 'gradient'];
const captions = Array.from({ length: 512 }, (_, i) => `a ${colours[i % 8]} ${things[(i >> 3) % 10]} on a ${backgrounds[(i * 7) % 5]} background, photo ${i}`);
const here = path.dirname(new URL(import.meta.url).pathname);

async function time(encoder: TextEncoder, batch: number): Promise<number> {
  await encoder.embed(captions.slice(0, batch)); // warm-up
  const t0 = performance.now();
  for (let s = 0; s < captions.length; s += batch) await encoder.embed(captions.slice(s, s + batch));
  return captions.length / ((performance.now() - t0) / 1000);
}

const rows: { encoder: string; backend: string; captionsPerSecond: number }[] = [];
for (const backend of ['wasm', 'cpu'] as const) {
  const choice = await useFastestBackend({ backend });
  const encoder = await createUseLiteEncoder();
  rows.push({ encoder: 'use-lite', backend: `${choice.backend} (${choice.threads} threads)`, captionsPerSecond: await time(encoder, 128) });
  encoder.dispose();
}
const tiny = writeTinyBert(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-bench-')), 'tiny-bert'), [...colours, ...things, ...backgrounds, 'a', 'on', 'photo'], 64);
const transformers = await createTransformersEncoder({ model: tiny.dir, offline: true, batchSize: 128 });
rows.push({ encoder: 'transformers (tiny generated BERT, H = 64)', backend: 'onnxruntime-node', captionsPerSecond: await time(transformers, 128) });
transformers.dispose();

console.log(`caption embedding throughput, ${captions.length} captions in batches of 128`);
for (const r of rows) console.log(`${r.encoder.padEnd(44)}${r.backend.padEnd(22)}${r.captionsPerSecond.toFixed(0).padStart(10)} captions/s`);
const out = path.join(here, 'results', 'embed.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), rows }, null, 2)}\n`);
console.log(`wrote ${out}`);
