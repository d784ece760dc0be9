#!/usr/bin/env node
// Fashion-MNIST: SimCLR vs SupCon vs X-CLR (class-description graph) vs supervised cross-entropy,
// same MLP encoder and budget (the presets, 4 epochs), kNN and linear probe beside raw pixels,
// mean ± std over seeds. X-CLR runs twice: as its preset (no augmentation) and with SimCLR's
// augmentations, so that one row compares every method under the same augmentation.
//
//   npm run build && node experiments/fmnist-methods.mjs [--seeds 0,1,2]
//
// Writes docs/results/fmnist-methods.json after every run (resumable).
import { arg, printTable, runStudy } from './study.mjs';

const variants = [
  { name: 'fmnist-simclr', preset: 'fmnist-simclr' },
  { name: 'fmnist-supcon', preset: 'fmnist-supcon' },
  { name: 'fmnist-xclr', preset: 'fmnist-xclr' },
  { name: 'fmnist-xclr-simclr-augment', preset: 'fmnist-xclr', set: ['data.augment=simclr'] },
  { name: 'fmnist-supervised', preset: 'fmnist-supervised' },
];
const seeds = arg('seeds', '0,1,2').split(',').map(Number);
const runs = runStudy({ out: 'docs/results/fmnist-methods.json', command: 'node experiments/fmnist-methods.mjs', variants, seeds });
printTable(runs, variants);
