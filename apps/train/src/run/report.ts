import fs from 'node:fs';
import path from 'node:path';
import { heatmapSpec, type LinePoint, lineSpec, renderPlot, type ReportSection, writeReport } from '@xclr/eval';

function readJson<T>(file: string): T | null {
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as T) : null;
}

/** Renders a run directory's plots into `plots/` and writes `report.html`; returns the report path. */
export async function writeRunReport(runDir: string): Promise<string> {
  const summary = readJson<Record<string, unknown>>(path.join(runDir, 'summary.json'));
  const evalResult = readJson<{ knn: Record<string, number>; baselineKnn: Record<string, number>; learnedClassSimilarity: number[] }>(
    path.join(runDir, 'eval.json'),
  );
  const graph = readJson<{ classNames: string[]; similarity: number[]; encoder: string }>(path.join(runDir, 'graph.json'));
  const metricsFile = path.join(runDir, 'metrics.jsonl');
  if (!summary || !evalResult || !fs.existsSync(metricsFile)) {
    throw new Error(`${runDir}: not a finished run (needs summary.json, eval.json and metrics.jsonl)`);
  }
  const records = fs
    .readFileSync(metricsFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, number | string>);
  const plots = path.join(runDir, 'plots');
  const images: string[] = [];
  const add = async (spec: Parameters<typeof renderPlot>[0], name: string) => {
    await renderPlot(spec, path.join(plots, name));
    images.push(`plots/${name}.svg`);
  };
  const loss: LinePoint[] = records.filter((r) => r.kind === 'step').map((r) => ({ x: r.step as number, y: r.loss as number, series: 'loss' }));
  if (loss.length) await add(lineSpec(loss, { title: 'training loss', x: 'step', y: 'loss' }), 'training-loss');
  const val: LinePoint[] = records.filter((r) => r.kind === 'epoch').map((r) => ({ x: r.epoch as number, y: r.valKnnTop1 as number, series: 'held-out kNN@20' }));
  if (val.length) await add(lineSpec(val, { title: 'kNN accuracy on held-out training images', x: 'epoch', y: 'top-1' }), 'val-knn');
  const ks = Object.keys(evalResult.knn).map(Number);
  const vsK: LinePoint[] = ks.flatMap((k) => [
    { x: k, y: evalResult.knn[k], series: `${summary.name} encoder` },
    { x: k, y: evalResult.baselineKnn[k], series: 'raw pixels' },
  ]);
  await add(lineSpec(vsK, { title: 'test kNN accuracy vs k', x: 'k', y: 'top-1', logX: true }), 'knn-vs-k');
  if (graph) {
    await add(heatmapSpec(graph.similarity, graph.classNames, `target: class-description similarity (${graph.encoder})`, [0, 1]), 'target-similarity');
    await add(heatmapSpec(evalResult.learnedClassSimilarity, graph.classNames, 'learned: class-mean feature similarity', [-1, 1]), 'learned-similarity');
  }
  const pct = (v: unknown) => `${(100 * (v as number)).toFixed(2)}%`;
  const sections: ReportSection[] = [
    {
      title: 'Accuracy (test set)',
      table: [
        ['features', 'kNN top-1', 'linear top-1', 'linear top-5'],
        ['raw pixels', pct(summary.baselineKnnTop1), pct(summary.baselineLinearTop1), ''],
        [`${summary.name} encoder`, pct(summary.knnTop1), pct(summary.linearTop1), pct(summary.linearTop5)],
      ],
    },
    {
      title: 'Run',
      table: [
        ['backend', 'threads', 'steps', 'samples/s', 'seconds'],
        [String(summary.backend), String(summary.threads), String(summary.steps), String(summary.samplesPerSecond), Number(summary.seconds).toFixed(0)],
      ],
    },
    { title: 'Plots', images },
  ];
  return writeReport(path.join(runDir, 'report.html'), `xclr run ${path.basename(runDir)}`, sections);
}
