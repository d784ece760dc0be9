#!/usr/bin/env node
// Fashion-MNIST: SimCLR vs SupCon vs X-CLR (class-description graph) vs supervised cross-entropy,
// same MLP encoder and budget (the presets, 4 epochs), kNN and linear probe beside raw pixels.
//
//   npm run build && node experiments/fmnist-methods.mjs [--seeds 0,1,2] [--presets fmnist-xclr,...]
//
// Writes docs/results/fmnist-methods.json (one entry per run: preset, seed, summary) and prints a
// table of mean ± std over seeds.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const seeds = arg('seeds', '0').split(',').map(Number);
const presets = arg('presets', 'fmnist-simclr,fmnist-supcon,fmnist-xclr,fmnist-supervised').split(',');
const runsDir = path.join(root, 'runs', 'experiments');
const out = path.join(root, 'docs', 'results', 'fmnist-methods.json');
const results = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')).runs : [];

for (const seed of seeds) {
  for (const preset of presets) {
    if (results.some((r) => r.preset === preset && r.seed === seed)) continue; // resumable
    const before = new Set(fs.existsSync(runsDir) ? fs.readdirSync(runsDir) : []);
    execFileSync(process.execPath, [path.join(root, 'apps/train/dist/cli.js'), 'train', '--preset', preset, '--set', `seed=${seed}`, '--runs-dir', runsDir], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, CI: '1' },
    });
    const dir = fs.readdirSync(runsDir).find((d) => !before.has(d));
    const summary = JSON.parse(fs.readFileSync(path.join(runsDir, dir, 'summary.json'), 'utf8'));
    results.push({ preset, seed, run: dir, summary });
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify({ command: 'node experiments/fmnist-methods.mjs', runs: results }, null, 2)}\n`);
  }
}

const stats = (xs) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
  return `${(100 * m).toFixed(2)} ± ${(100 * sd).toFixed(2)}`;
};
console.log(['method', 'seeds', 'kNN@20 %', 'linear %', 'pixels kNN %', 'pixels linear %'].join(' | '));
for (const preset of presets) {
  const rs = results.filter((r) => r.preset === preset).map((r) => r.summary);
  if (!rs.length) continue;
  console.log([preset, rs.length, stats(rs.map((s) => s.knnTop1)), stats(rs.map((s) => s.linearTop1)), stats(rs.map((s) => s.baselineKnnTop1)), stats(rs.map((s) => s.baselineLinearTop1))].join(' | '));
}
