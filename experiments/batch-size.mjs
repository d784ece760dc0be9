#!/usr/bin/env node
// Large batches by gradient caching (issue: beyond the batch). X-CLR and NT-Xent at batch 256 vs
// batch 4,096 (`train.chunkSize=512`: exact gradients of the full 4,096 batch, memory of a 512
// chunk), same ConvNet, same number of optimizer steps (20) and learning rate, on Fashion-MNIST
// and the synthetic captioned set. The 4,096 runs see 16× the samples: the question is what the
// negatives (and, for X-CLR, the soft targets over a larger batch) buy per step.
//
//   npm run build && node experiments/batch-size.mjs [--seeds 0,1,2]
//
// Writes docs/results/batch-size.json after every run (resumable).
import { arg, runStudy } from './study.mjs';
import { gridVariants, printGrid } from './study-configs.mjs';

export const batchSizes = [256, 4096];
export const batchMethods = ['xclr', 'ntxent'];
const grid = { methods: batchMethods, values: batchSizes, key: 'batch' };
const variants = gridVariants({
  ...grid,
  steps: ['train.epochs=1000', 'train.maxSteps=20'],
  settings: (b) => [`train.batchSize=${b}`, ...(b > 512 ? ['train.chunkSize=512'] : [])],
});
const seeds = arg('seeds', '0,1,2').split(',').map(Number);
const runs = runStudy({ out: 'docs/results/batch-size.json', command: 'node experiments/batch-size.mjs', variants, seeds });
printGrid(runs, { ...grid, title: ' after 20 steps', column: (b) => `batch ${b}` });
