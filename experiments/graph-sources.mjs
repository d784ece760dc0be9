#!/usr/bin/env node
// Fashion-MNIST, the paper's Figure 5 question: the same X-CLR run (the fmnist-xclr preset) with its
// graph from USE-lite class descriptions, from the Fashion-MNIST taxonomy (tops / one-piece /
// bottoms, footwear / bags; decay 0.5 per tree edge), and from the labels alone (SupCon's graph).
// Each run directory keeps its target and learned class-similarity heatmaps (plots/).
//
//   npm run build && node experiments/graph-sources.mjs [--seeds 0,1,2]
//
// Writes docs/results/graph-sources.json after every run (resumable).
import { arg, printTable, runStudy } from './study.mjs';

const variants = ['class-descriptions', 'taxonomy', 'labels'].map((graph) => ({
  name: `fmnist-xclr-${graph}`,
  preset: 'fmnist-xclr',
  set: [`loss.graph=${graph}`],
}));
const seeds = arg('seeds', '0,1,2').split(',').map(Number);
const runs = runStudy({ out: 'docs/results/graph-sources.json', command: 'node experiments/graph-sources.mjs', variants, seeds });
printTable(runs, variants, ['knnTop1', 'linearTop1', 'baselineKnnTop1']);
