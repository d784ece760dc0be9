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
import { arg, meanStd, pct, runStudy } from './study.mjs';
import { convnetFor, datasets, studyEval } from './study-configs.mjs';

export const queueSizes = [0, 1024, 8192];
export const queueMethods = ['xclr', 'ntxent', 'supcon'];
const steps = ['train.epochs=100', 'train.maxSteps=150'];
const variants = [];
for (const d of datasets) {
  for (const method of queueMethods) {
    for (const q of queueSizes) {
      variants.push({
        name: `${d.name}-${method}-queue${q}`,
        preset: d.presets[method],
        set: [...d.set[method], convnetFor(d), ...steps, ...studyEval, ...(q > 0 ? [`loss.queue.size=${q}`] : [])],
      });
    }
  }
}
const seeds = arg('seeds', '0,1,2').split(',').map(Number);
const runs = runStudy({ out: 'docs/results/memory-queue.json', command: 'node experiments/memory-queue.mjs', variants, seeds });
for (const d of datasets) {
  console.log(`\n${d.name}: kNN@20 / linear top-1 % (mean ± std over seeds)`);
  console.log(`| method | ${queueSizes.map((q) => `queue ${q}`).join(' | ')} |`);
  console.log(`|---|${queueSizes.map(() => '---').join('|')}|`);
  for (const method of queueMethods) {
    const cells = queueSizes.map((q) => {
      const ss = runs.filter((r) => r.variant === `${d.name}-${method}-queue${q}`).map((r) => r.summary);
      return ss.length ? `${pct(meanStd(ss.map((s) => s.knnTop1)))} / ${pct(meanStd(ss.map((s) => s.linearTop1)))}` : '–';
    });
    console.log(`| ${method} | ${cells.join(' | ')} |`);
  }
}
