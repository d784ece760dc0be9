#!/usr/bin/env node
// How peaked X-CLR's targets are, per graph and τ_s: for random batches of 256 training samples,
// the `'all'`-mode targets the loss trains towards (`xclrTargets`, each of the 2N anchors over the
// other 2N − 1 embeddings), summarised per anchor as the mass on its own other view (SimCLR's
// whole target), the mass on other samples of the same object class, and the effective number of
// targets exp(entropy). Graphs: Fashion-MNIST's class descriptions and the synthetic sets'
// captions (v1, v2), all embedded with USE-lite exactly as training embeds them (cached).
//
//   npm run build && node experiments/target-sharpness.mjs [--taus 0.1,0.07,0.05,0.03] [--batches 8]
//
// Writes docs/results/target-sharpness.json.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { defaultCacheDir, openDataset, Rng } from '@xclr/data';
import { classGraphFrom, classTargets, embeddingTargets, splitCaptionEmbeddings } from '@xclr/graph';
import { xclrTargets } from '@xclr/losses';
import { arg, root } from './study.mjs';

const taus = arg('taus', '0.1,0.07,0.05,0.03').split(',').map(Number);
const batches = Number(arg('batches', '8'));
const N = 256;
await tf.setBackend('cpu');
const log = (line) => console.error(`# ${line}`);
const cacheDir = defaultCacheDir();

/** Each graph: a name, its training split's labels, and the `[n, n]` similarity of a batch of indices. */
async function graphs() {
  const out = [];
  const fmnist = await openDataset({ dataset: 'fashion-mnist' }, { cacheDir, log });
  const classGraph = await classGraphFrom('class-descriptions', {
    ...fmnist.train,
    classNames: fmnist.train.classNames ?? [],
    encoder: 'use-lite',
    cacheDir,
  });
  const byClass = classTargets(classGraph);
  const fmnistLabels = fmnist.train.labels;
  out.push({
    name: 'fmnist class descriptions',
    labels: fmnistLabels,
    batch: (idx) => byClass.batch(Int32Array.from(idx, (i) => fmnistLabels[i])),
  });
  for (const version of [1, 2]) {
    const data = await openDataset(
      { dataset: 'synth', synth: { train: 20000, test: 2000, seed: 0, version } },
      { cacheDir, log },
    );
    const captions = await splitCaptionEmbeddings(data.train, { encoder: 'use-lite', cacheDir, log });
    const targets = embeddingTargets(captions);
    out.push({
      name: `synth v${version} captions (${captions.unique} distinct)`,
      labels: data.train.labels,
      batch: (idx) => targets.batch(Int32Array.from(idx)),
    });
  }
  return out;
}

function summarise(targets, labels) {
  const t = targets.arraySync();
  const n = t.length / 2;
  let own = 0;
  let sameClass = 0;
  let effective = 0;
  for (let a = 0; a < 2 * n; a++) {
    const i = a % n;
    let h = 0;
    for (let b = 0; b < 2 * n; b++) {
      const p = t[a][b];
      if (p > 0) h -= p * Math.log(p);
      if (b % n === i) own += p;
      else if (labels[b % n] === labels[i]) sameClass += p;
    }
    effective += Math.exp(h);
  }
  return { own: own / (2 * n), sameClass: sameClass / (2 * n), effective: effective / (2 * n) };
}

const rows = [];
for (const g of await graphs()) {
  const rng = new Rng(0);
  const size = g.labels.length;
  const sums = Object.fromEntries(taus.map((t) => [t, { own: 0, sameClass: 0, effective: 0 }]));
  for (let b = 0; b < batches; b++) {
    const idx = Array.from({ length: N }, () => Math.floor(rng.next() * size));
    const labels = idx.map((i) => g.labels[i]);
    const similarity = g.batch(idx);
    for (const tau of taus) {
      const targets = xclrTargets(similarity, { targetTemperature: tau });
      const s = summarise(targets, labels);
      targets.dispose();
      for (const k of Object.keys(s)) sums[tau][k] += s[k] / batches;
    }
    similarity.dispose();
  }
  for (const tau of taus) rows.push({ graph: g.name, tau, ...sums[tau] });
}

console.log(`| graph | τ_s | own other view | same class (other samples) | effective targets (of ${2 * N - 1}) |`);
console.log('|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.graph} | ${r.tau} | ${r.own.toFixed(3)} | ${r.sameClass.toFixed(3)} | ${r.effective.toFixed(1)} |`);
}
const file = path.join(root, 'docs/results/target-sharpness.json');
const tmp = `${file}.${process.pid}.tmp`;
fs.writeFileSync(
  tmp,
  `${JSON.stringify({ command: 'node experiments/target-sharpness.mjs', batch: N, batches, rows }, null, 2)}\n`,
);
fs.renameSync(tmp, file);
