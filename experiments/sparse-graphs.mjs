#!/usr/bin/env node
// Sparse caption graphs (issue: training at real size). X-CLR on the synthetic captioned set with
// its targets from (a) the dense in-batch cosine similarity of the samples' caption embeddings
// (what `loss.graph=captions` computes), (b) a sparse top-16 graph of the same embeddings
// (`xclr graph topk`; pairs outside it get similarity 0), (c) the same top-16 graph with
// neighbour-aware batches (64 of each 256 are graph neighbours of the other 192). Same MLP, seed
// set and number of optimizer steps (390, five epochs of random batches).
//
//   npm run build && node experiments/sparse-graphs.mjs [--seeds 0,1,2] [--encoder convnet]
//
// `--encoder convnet`: the ConvNet of the captions study in place of the MLP (variants
// `synth-xclr-*-convnet`), same steps.
//
// Builds the graph files once under runs/experiments/sparse-graphs/ (captions keyed by sample,
// USE-lite embeddings, top-16), then writes docs/results/sparse-graphs.json after every run
// (resumable).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openDataset } from '@xclr/data';
import { arg, meanStd, pct, printTable, root, runStudy } from './study.mjs';
import { encoderOption } from './study-configs.mjs';

const dir = path.join(root, 'runs', 'experiments', 'sparse-graphs');
const files = {
  captions: path.join(dir, 'captions.jsonl'),
  embeddings: path.join(dir, 'captions.arrow'),
  topk: path.join(dir, 'topk16.arrow'),
};
const cli = (args) =>
  execFileSync(process.execPath, [path.join(root, 'apps/train/dist/cli.js'), ...args], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
if (!fs.existsSync(files.topk)) {
  // The synth-xclr preset's training split (the default synthetic set), its keys and captions.
  const { train } = await openDataset({ dataset: 'synth', synth: { train: 20000, test: 2000, seed: 0 } }, { log: console.error });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    files.captions,
    `${train.ids.map((key, i) => JSON.stringify({ key, caption: train.captions[i] })).join('\n')}\n`,
  );
  cli(['graph', 'embed', '--input', files.captions, '--id-field', 'key', '--out', files.embeddings]);
  cli(['graph', 'topk', '--embeddings', files.embeddings, '--k', '16', '--out', files.topk]);
}

const budget = ['train.epochs=20', 'train.maxSteps=390'];
const topk = ['loss.graph=topk', `loss.graphFile=${files.topk}`, `loss.captionEmbeddings=${files.embeddings}`];
const { suffix, set: encoderSet } = encoderOption('synth');
const variants = [
  { name: 'synth-xclr-dense', preset: 'synth-xclr', set: [...budget, 'loss.graph=captions'] },
  { name: 'synth-xclr-topk16', preset: 'synth-xclr', set: [...budget, ...topk] },
  { name: 'synth-xclr-topk16-neighbors64', preset: 'synth-xclr', set: [...budget, ...topk, 'data.neighbors=64'] },
].map((v) => ({ ...v, name: `${v.name}${suffix}`, set: [...v.set, ...encoderSet] }));
const seeds = arg('seeds', '0,1,2').split(',').map(Number);
const runs = runStudy({ out: 'docs/results/sparse-graphs.json', command: 'node experiments/sparse-graphs.mjs', variants, seeds });
printTable(runs, variants);
console.log('\nbackground shift (linear top-1 %)');
const splits = ['only-fg', 'mixed-same', 'mixed-rand'];
console.log(`| variant | ${splits.join(' | ')} |`);
console.log(`|---|${splits.map(() => '---').join('|')}|`);
for (const v of variants) {
  const rs = runs.filter((r) => r.variant === v.name).map((r) => r.summary);
  if (rs.length)
    console.log(`| ${v.name} | ${splits.map((sp) => pct(meanStd(rs.map((s) => s.splits[sp].linearTop1)))).join(' | ')} |`);
}
