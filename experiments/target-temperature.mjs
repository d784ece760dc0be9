#!/usr/bin/env node
// Target-temperature sensitivity (the paper's Fig. 3c): X-CLR on Fashion-MNIST (fmnist-xclr,
// class-description graph) with τ_s swept; everything else fixed. τ_s = 0.1 is the preset, so its
// point is taken from the methods study (docs/results/fmnist-methods.json, same config and seed).
//
//   npm run build && node experiments/target-temperature.mjs [--taus 0.03,0.3,1] [--seeds 0] [--encoder convnet]
//
// `--encoder convnet`: the ConvNet of the methods study (variants `fmnist-xclr-tau*-convnet`; the
// τ_s = 0.1 point is `fmnist-xclr-convnet`).
// Writes docs/results/target-temperature.json after every run (resumable).
import fs from 'node:fs';
import path from 'node:path';
import { arg, root, runStudy } from './study.mjs';
import { encoderOption } from './study-configs.mjs';

const taus = arg('taus', '0.03,0.3,1').split(',').map(Number);
const seeds = arg('seeds', '0').split(',').map(Number);
const { suffix, set: encoderSet } = encoderOption();
const variants = taus.map((t) => ({
  name: `fmnist-xclr-tau${t}${suffix}`,
  preset: 'fmnist-xclr',
  set: [`loss.targetTemperature=${t}`, ...encoderSet],
}));
const runs = runStudy({
  out: 'docs/results/target-temperature.json',
  command: 'node experiments/target-temperature.mjs',
  variants,
  seeds,
});
const methods = JSON.parse(fs.readFileSync(path.join(root, 'docs/results/fmnist-methods.json'), 'utf8')).runs;
const points = [
  ...methods
    .filter((r) => r.variant === `fmnist-xclr${suffix}` && seeds.includes(r.seed))
    .map((r) => ({ tau: 0.1, seed: r.seed, summary: r.summary })),
  ...runs
    .filter((r) => variants.some((v) => v.name === r.variant))
    .map((r) => ({ tau: Number(r.set[0].split('=')[1]), seed: r.seed, summary: r.summary })),
].sort((a, b) => a.tau - b.tau);
console.log('| τ_s | seed | kNN@20 % | linear % | Pearson(learned, target) |');
console.log('|---|---|---|---|---|');
for (const p of points) {
  console.log(
    `| ${p.tau} | ${p.seed} | ${(100 * p.summary.knnTop1).toFixed(2)} | ${(100 * p.summary.linearTop1).toFixed(2)} | ${p.summary.graphCorrelation?.pearson.toFixed(3) ?? '–'} |`,
  );
}
