#!/usr/bin/env node
// The graph-source study's learned class-similarity heatmaps, one seed per graph (the paper's
// Figure 5): each run's `eval.json` (learned class-mean similarities) drawn as
// docs/graph-sources/<graph>-learned[-convnet].png, on the [-1, 1] scale of the run reports.
// The ConvNet's class-description runs are the methods study's `fmnist-xclr-convnet`.
//
//   node experiments/graph-sources-heatmaps.mjs [--encoder convnet] [--seed 0] [--runs-dir runs/experiments]...
//
// `--runs-dir` may be given more than once (the study's workers ran in separate checkouts).
import fs from 'node:fs';
import path from 'node:path';
import { heatmapSpec, renderPlot } from '@xclr/eval/plots';
import { arg, root, runsDirs } from './study.mjs';
import { encoderOption } from './study-configs.mjs';

const dirs = runsDirs();
const { suffix } = encoderOption();
const seed = Number(arg('seed', '0'));
const load = (name) => JSON.parse(fs.readFileSync(path.join(root, 'docs/results', name), 'utf8')).runs;
const runs = [...load('graph-sources.json'), ...load('fmnist-methods.json')];
const variantOf = (graph) =>
  suffix && graph === 'class-descriptions' ? `fmnist-xclr${suffix}` : `fmnist-xclr-${graph}${suffix}`;
const titles = { 'class-descriptions': 'class descriptions (USE-lite)', taxonomy: 'taxonomy', labels: 'labels only' };
let missing = 0;
for (const graph of ['class-descriptions', 'taxonomy', 'labels']) {
  const run = runs.find((r) => r.variant === variantOf(graph) && r.seed === seed);
  const file = run && dirs.map((d) => path.join(d, run.run, 'eval.json')).find((f) => fs.existsSync(f));
  if (!file) {
    console.error(
      `# ${variantOf(graph)} seed ${seed}: ${run ? `${run.run}/eval.json not found under ${dirs.join(', ')}` : 'no run'}`,
    );
    missing++;
    continue;
  }
  const evalResult = JSON.parse(fs.readFileSync(file, 'utf8'));
  const { classNames } = JSON.parse(fs.readFileSync(path.join(path.dirname(file), 'graph.json'), 'utf8'));
  const matrix = Object.values(evalResult.learnedClassSimilarity).flat();
  const out = path.join(root, 'docs', 'graph-sources', `${graph}-learned${suffix}`);
  const title = `${titles[graph]}: learned (${suffix ? 'ConvNet' : 'MLP'}, seed ${seed})`;
  await renderPlot(heatmapSpec(matrix, classNames, title, [-1, 1]), out);
  console.log(`plot: ${path.relative(root, out)}.png (${run.run})`);
}
process.exitCode = missing ? 1 : 0;
