import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type TrainingSummary, writeTrainingReport } from '../src/training-report.js';

const summary: TrainingSummary = {
  name: 'xclr-convnet',
  knnTop1: 0.85,
  linearTop1: 0.8712,
  linearTop5: 0.99,
  baselineKnnTop1: 0.78,
  baselineLinearTop1: 0.8,
  backend: 'wasm',
  threads: 2,
  steps: 40,
  samplesPerSecond: 512,
  seconds: 61.6,
};
const evalResult = { knn: { 1: 0.8, 20: 0.85 }, baselineKnn: { 1: 0.75, 20: 0.78 }, learnedClassSimilarity: [1, 0.3, 0.3, 1] };
const metrics = [
  { kind: 'step', step: 10, epoch: 0, loss: 2.5 },
  { kind: 'checkpoint', name: 'last', step: 10, ms: 4 },
  { kind: 'step', step: 20, epoch: 0, loss: 2.1 },
  { kind: 'epoch', step: 20, epoch: 1, valKnnTop1: 0.6 },
  { kind: 'step', step: 40, epoch: 1, loss: 1.9 },
  { kind: 'epoch', step: 40, epoch: 2, valKnnTop1: 0.7 },
];

describe('writeTrainingReport', () => {
  it('renders every plot and writes report.html with the accuracy and run tables', async () => {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-training-report-'));
    const graph = { classNames: ['Coat', 'Sandal'], similarity: [1, 0.4, 0.4, 1], encoder: 'use-lite' };
    const file = await writeTrainingReport({ outDir, title: 'run <7>', summary, evalResult, metrics, graph });
    expect(file).toBe(path.join(outDir, 'report.html'));
    const plots = ['training-loss', 'val-knn', 'knn-vs-k', 'target-similarity', 'learned-similarity'];
    expect(fs.readdirSync(path.join(outDir, 'plots')).sort()).toEqual(plots.flatMap((p) => [`${p}.png`, `${p}.svg`]).sort());
    expect(fs.readFileSync(path.join(outDir, 'plots', 'knn-vs-k.svg'), 'utf8')).toContain('xclr-convnet encoder');
    expect(fs.readFileSync(path.join(outDir, 'plots', 'target-similarity.svg'), 'utf8')).toContain('(use-lite)');
    const html = fs.readFileSync(file, 'utf8');
    expect(html).toContain('<title>run &lt;7&gt;</title>');
    expect(html).toContain(
      '<tr><td>raw pixels</td><td>78.00%</td><td>80.00%</td><td></td></tr><tr><td>xclr-convnet encoder</td><td>85.00%</td><td>87.12%</td><td>99.00%</td></tr>',
    );
    expect(html).toContain('<tr><td>wasm</td><td>2</td><td>40</td><td>512</td><td>62</td></tr>');
    const images = [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1]);
    expect(images).toEqual(plots.map((p) => `plots/${p}.svg`));
  });

  it('leaves out the plots it has no data for; the title defaults to the folder name', async () => {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-training-report-'));
    const file = await writeTrainingReport({ outDir, summary, evalResult, metrics: metrics.filter((r) => r.kind !== 'epoch') });
    expect(fs.readdirSync(path.join(outDir, 'plots')).sort()).toEqual([
      'knn-vs-k.png',
      'knn-vs-k.svg',
      'training-loss.png',
      'training-loss.svg',
    ]);
    expect(fs.readFileSync(file, 'utf8')).toContain(`<title>training run ${path.basename(outDir)}</title>`);
  });

  it('adds tables of the other test splits and the attribute probes when the evaluation has them', async () => {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-training-report-'));
    const probe = (top1: number) => ({ top1, majority: 0.25, values: 4 });
    const file = await writeTrainingReport({
      outDir,
      summary,
      metrics,
      evalResult: {
        ...evalResult,
        splits: { 'mixed-rand': { knnTop1: 0.4, linearTop1: 0.5, baselineKnnTop1: 0.2, baselineLinearTop1: 0.3 } },
        attributes: { split: 'attributes', rows: 200, encoder: { color: probe(0.9) }, baseline: { color: probe(0.6) } },
      },
    });
    const html = fs.readFileSync(file, 'utf8');
    expect(html).toContain('<tr><td>mixed-rand</td><td>40.00%</td><td>50.00%</td><td>20.00%</td><td>30.00%</td></tr>');
    expect(html).toContain('Attribute probes (attributes, 200 images; linear top-1 on a random half)');
    expect(html).toContain('<tr><td>color</td><td>90.00%</td><td>60.00%</td><td>25.00%</td></tr>');
  });

  it('is the Node-only subpath @xclr/eval/report', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '..', 'package.json'), 'utf8'));
    expect(pkg.exports['./report']).toEqual({
      '@xclr/source': './src/training-report.ts',
      types: './dist/training-report.d.ts',
      import: './dist/training-report.js',
      default: './dist/training-report.js',
    });
    const viaPackage = await import('@xclr/eval/report');
    expect(viaPackage.writeTrainingReport).toBe(writeTrainingReport);
  });
});
