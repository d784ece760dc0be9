#!/usr/bin/env node
// Memory queues (issue: beyond the batch). X-CLR with a soft-target queue vs NT-Xent with MoCo's
// hard queue vs SupCon with labels stored in the queue, queue size 0 / 1,024 / 8,192, on
// Fashion-MNIST (class-description graph) and the synthetic captioned set (caption graph). Same
// ConvNet, batch 256 and number of optimizer steps (150; an 8,192 queue is full after 32) for
// every run; plain FIFO queue (no momentum encoder, as XBM); each method keeps its preset's
// temperature and augmentation.
//
//   npm run build && node experiments/memory-queue.mjs [--seeds 0,1,2]
//
// Writes docs/results/memory-queue.json after every run (resumable).
import { arg, runStudy } from './study.mjs';
import { gridVariants, printGrid } from './study-configs.mjs';

export const queueSizes = [0, 1024, 8192];
export const queueMethods = ['xclr', 'ntxent', 'supcon'];
const grid = { methods: queueMethods, values: queueSizes, key: 'queue' };
const variants = gridVariants({
  ...grid,
  steps: ['train.epochs=100', 'train.maxSteps=150'],
  settings: (q) => (q > 0 ? [`loss.queue.size=${q}`] : []),
});
const seeds = arg('seeds', '0,1,2').split(',').map(Number);
const runs = runStudy({ out: 'docs/results/memory-queue.json', command: 'node experiments/memory-queue.mjs', variants, seeds });
printGrid(runs, { ...grid, title: '', column: (q) => `queue ${q}` });
