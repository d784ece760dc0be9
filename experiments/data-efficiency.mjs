#!/usr/bin/env node
// Data efficiency (the paper's Fig. 3a): X-CLR vs SimCLR pretrained on class-balanced 1 % and
// 10 % subsets of Fashion-MNIST, with the same number of optimiser steps as the full-data runs
// (≈ 936: epochs scaled up), evaluated on the full training set (kNN bank, linear probe) and the
// test set. The 100 % points are the methods study's runs (docs/results/fmnist-methods.json).
//
//   npm run build && node experiments/data-efficiency.mjs [--seeds 0] [--encoder convnet]
//
// `--encoder convnet`: the ConvNet of the methods study (variants `fmnist-*-convnet-<fraction>`).
// Writes docs/results/data-efficiency.json after every run (resumable).
import fs from 'node:fs';
import path from 'node:path';
import { arg, root, runStudy } from './study.mjs';
import { encoderOption } from './study-configs.mjs';

const seeds = arg('seeds', '0').split(',').map(Number);
// 60,000 × fraction samples, batch 256, last partial batch dropped: epochs for ≈ 936 steps.
// The held-out kNN that picks the `best` checkpoint runs about 8 times per run, not every epoch
// (at 1 %, 468 validations would cost more than the training).
const { suffix, set: encoderSet } = encoderOption();
const budget = { 0.1: 40, 0.01: 468 };
const validateEvery = { 0.1: 5, 0.01: 52 };
const variants = Object.entries(budget).flatMap(([fraction, epochs]) =>
  ['fmnist-xclr', 'fmnist-simclr'].map((preset) => ({
    name: `${preset}${suffix}-${fraction}`,
    preset,
    set: [`data.fraction=${fraction}`, `train.epochs=${epochs}`, `train.validateEvery=${validateEvery[fraction]}`, ...encoderSet],
  })),
);
const runs = runStudy({
  out: 'docs/results/data-efficiency.json',
  command: 'node experiments/data-efficiency.mjs',
  variants,
  seeds,
});
const methods = JSON.parse(fs.readFileSync(path.join(root, 'docs/results/fmnist-methods.json'), 'utf8')).runs;
console.log('| method | fraction | seed | steps | kNN@20 % | linear % |');
console.log('|---|---|---|---|---|---|');
for (const preset of ['fmnist-xclr', 'fmnist-simclr']) {
  const rows = [
    ...runs
      .filter((r) => r.preset === preset && variants.some((v) => v.name === r.variant))
      .map((r) => ({ fraction: Number(r.variant.slice(`${preset}${suffix}`.length + 1)), ...r })),
    ...methods.filter((r) => r.variant === `${preset}${suffix}` && seeds.includes(r.seed)).map((r) => ({ fraction: 1, ...r })),
  ].sort((a, b) => a.fraction - b.fraction || a.seed - b.seed);
  for (const r of rows) {
    console.log(
      `| ${preset} | ${r.fraction} | ${r.seed} | ${r.summary.steps} | ${(100 * r.summary.knnTop1).toFixed(2)} | ${(100 * r.summary.linearTop1).toFixed(2)} |`,
    );
  }
}
