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
import { arg, meanStd, pct, runStudy } from './study.mjs';
import { convnetFor, datasets, studyEval } from './study-configs.mjs';

export const batchSizes = [256, 4096];
export const batchMethods = ['xclr', 'ntxent'];
const steps = ['train.epochs=1000', 'train.maxSteps=20'];
const variants = [];
for (const d of datasets) {
  for (const method of batchMethods) {
    for (const b of batchSizes) {
      variants.push({
        name: `${d.name}-${method}-batch${b}`,
        preset: d.presets[method],
        set: [...d.set[method], convnetFor(d), ...steps, ...studyEval, `train.batchSize=${b}`, ...(b > 512 ? ['train.chunkSize=512'] : [])],
      });
    }
  }
}
const seeds = arg('seeds', '0,1,2').split(',').map(Number);
const runs = runStudy({ out: 'docs/results/batch-size.json', command: 'node experiments/batch-size.mjs', variants, seeds });
for (const d of datasets) {
  console.log(`\n${d.name}: kNN@20 / linear top-1 % after 20 steps (mean ± std over seeds)`);
  console.log(`| method | ${batchSizes.map((b) => `batch ${b}`).join(' | ')} |`);
  console.log(`|---|${batchSizes.map(() => '---').join('|')}|`);
  for (const method of batchMethods) {
    const cells = batchSizes.map((b) => {
      const ss = runs.filter((r) => r.variant === `${d.name}-${method}-batch${b}`).map((r) => r.summary);
      return ss.length ? `${pct(meanStd(ss.map((s) => s.knnTop1)))} / ${pct(meanStd(ss.map((s) => s.linearTop1)))}` : '–';
    });
    console.log(`| ${method} | ${cells.join(' | ')} |`);
  }
}
