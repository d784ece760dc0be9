#!/usr/bin/env node
import { arg, printTable, runStudy } from './study.mjs';
// Fashion-MNIST: SimCLR vs SupCon vs X-CLR (class-description graph) vs supervised cross-entropy,
// same MLP encoder and budget (the presets, 4 epochs), kNN and linear probe beside raw pixels,
// mean ± std over seeds. X-CLR runs twice: as its preset (no augmentation) and with SimCLR's
// augmentations, so that one row compares every method under the same augmentation.
//
//   npm run build && node experiments/fmnist-methods.mjs [--seeds 0,1,2] [--encoder convnet]
//
// `--encoder convnet` trains the same five with the ConvNet of the other studies (conv 32, pool,
// conv 64, pool, dense 512; `convnetFor`) in place of the presets' MLP, same steps; its variants
// are named `fmnist-*-convnet`. Writes docs/results/fmnist-methods.json after every run
// (resumable).
import { encoderOption } from './study-configs.mjs';

const { suffix, set: encoderSet } = encoderOption();
const variants = [
  { name: 'fmnist-simclr', preset: 'fmnist-simclr' },
  { name: 'fmnist-supcon', preset: 'fmnist-supcon' },
  { name: 'fmnist-xclr', preset: 'fmnist-xclr' },
  { name: 'fmnist-xclr-simclr-augment', preset: 'fmnist-xclr', set: ['data.augment=simclr'] },
  { name: 'fmnist-supervised', preset: 'fmnist-supervised' },
].map((v) => ({ ...v, name: `${v.name}${suffix}`, set: [...(v.set ?? []), ...encoderSet] }));
const seeds = arg('seeds', '0,1,2').split(',').map(Number);
const runs = runStudy({
  out: 'docs/results/fmnist-methods.json',
  command: 'node experiments/fmnist-methods.mjs',
  variants,
  seeds,
});
printTable(runs, variants);
