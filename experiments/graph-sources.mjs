#!/usr/bin/env node
// Fashion-MNIST, the paper's Figure 5 question: the same X-CLR run (the fmnist-xclr preset) with its
// graph from USE-lite class descriptions, from the Fashion-MNIST taxonomy (tops / one-piece /
// bottoms, footwear / bags; decay 0.5 per tree edge), and from the labels alone (SupCon's graph).
// Each run directory keeps its target and learned class-similarity heatmaps (plots/).
//
//   npm run build && node experiments/graph-sources.mjs [--seeds 0,1,2] [--encoder convnet]
//
// `--encoder convnet`: the ConvNet of the methods study (variants `fmnist-xclr-<graph>-convnet`).
// The class-description graph is the fmnist-xclr preset unchanged, so with the ConvNet its runs are
// the methods study's `fmnist-xclr-convnet` (docs/results/fmnist-methods.json, same config and
// seeds) and are not trained twice.
// Writes docs/results/graph-sources.json after every run (resumable).
import fs from 'node:fs';
import path from 'node:path';
import { arg, printTable, root, runStudy } from './study.mjs';
import { encoderOption } from './study-configs.mjs';

const { suffix, set: encoderSet } = encoderOption();
const graphs = suffix ? ['taxonomy', 'labels'] : ['class-descriptions', 'taxonomy', 'labels'];
const variants = graphs.map((graph) => ({
  name: `fmnist-xclr-${graph}${suffix}`,
  preset: 'fmnist-xclr',
  set: [`loss.graph=${graph}`, ...encoderSet],
}));
const seeds = arg('seeds', '0,1,2').split(',').map(Number);
const runs = runStudy({ out: 'docs/results/graph-sources.json', command: 'node experiments/graph-sources.mjs', variants, seeds });
const shown = [...variants];
if (suffix) {
  const methods = JSON.parse(fs.readFileSync(path.join(root, 'docs/results/fmnist-methods.json'), 'utf8')).runs;
  runs.push(...methods.filter((r) => r.variant === `fmnist-xclr${suffix}`));
  shown.unshift({ name: `fmnist-xclr${suffix}` });
}
printTable(runs, shown, ['knnTop1', 'linearTop1', 'baselineKnnTop1']);
