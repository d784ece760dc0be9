#!/usr/bin/env node
// Learned vs target similarity on synth v2 (the paper's Fig. 4, per attribute): for every run of
// the synth v2 captions study, `xclr eval similarity` on its final (`last`) checkpoint and its
// `attributes` split: per label kind (object, colour, texture, size, position, background,
// count) the value × value cosine similarity of the encoder's features and of the captions'
// USE-lite embeddings, and their correlation. `experiments/report.mjs` draws the heatmaps.
//
//   node experiments/synth-v2-similarity.mjs [--runs-dir runs/experiments]...
//
// `--runs-dir` may be given more than once (the study's workers ran in separate checkouts). Runs
// whose folder is not found are listed and skipped. Writes docs/results/synth-v2-similarity.json
// after every run (resumable).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { root, runsDirs } from './study.mjs';

const dirs = runsDirs();
const study = JSON.parse(fs.readFileSync(path.join(root, 'docs/results/synth-v2-captions.json'), 'utf8')).runs;
const file = path.join(root, 'docs/results/synth-v2-similarity.json');
const done = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')).runs : [];
for (const r of study) {
  if (done.some((d) => d.variant === r.variant && d.seed === r.seed)) continue;
  const dir = dirs.map((d) => path.join(d, r.run)).find((d) => fs.existsSync(path.join(d, 'checkpoints', 'last')));
  if (!dir) {
    console.error(`# ${r.variant} seed ${r.seed}: ${r.run} not found under ${dirs.join(', ')}; skipped`);
    continue;
  }
  console.log(`# ${r.variant} seed ${r.seed}: xclr eval similarity ${dir}`);
  const out = execFileSync(
    process.execPath,
    [path.join(root, 'apps/train/dist/cli.js'), 'eval', 'similarity', dir, '--checkpoint', 'last', '--json'],
    { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', env: { ...process.env, CI: '1' } },
  );
  const { split, rows, textEncoder, kinds } = JSON.parse(out);
  done.push({ variant: r.variant, seed: r.seed, run: r.run, split, rows, textEncoder, kinds });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify({ command: 'node experiments/synth-v2-similarity.mjs', runs: done }, null, 2)}\n`);
  fs.renameSync(tmp, file);
}
console.log(
  '| variant | seeds | ' + ['object', 'color', 'texture', 'size', 'position', 'background', 'count'].join(' | ') + ' |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const variant of [...new Set(done.map((d) => d.variant))]) {
  const rs = done.filter((d) => d.variant === variant);
  const kinds = Object.keys(rs[0].kinds);
  const mean = (k) => (rs.reduce((s, d) => s + d.kinds[k].pearson, 0) / rs.length).toFixed(2);
  console.log(`| ${variant} | ${rs.length} | ${kinds.map(mean).join(' | ')} |`);
}
