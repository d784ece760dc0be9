// `@xclr/eval/report`: the plots and HTML report of a finished training run. Node only (node:fs,
// node:path; plots rendered with resvg).
import path from 'node:path';
import { heatmapSpec, type LinePoint, lineSpec, type PlotSpec, renderPlot } from './plots.js';
import type { EvalResult } from './protocol.js';
import { type ReportSection, writeReport } from './report.js';

/** The run's headline numbers (fractions in [0, 1]) and how it ran. */
export interface TrainingSummary {
  /** The encoder's name in tables and legends (`NAME encoder`). */
  name: string;
  knnTop1: number;
  linearTop1: number;
  linearTop5: number;
  baselineKnnTop1: number;
  baselineLinearTop1: number;
  backend: string;
  threads: number;
  steps: number;
  samplesPerSecond: number;
  seconds: number;
}

export interface TrainingReportOptions {
  /** Folder of the report: `report.html` and `plots/*.svg`, `plots/*.png` are written there. */
  outDir: string;
  /** The report's title. Default `training run <outDir's base name>`. */
  title?: string;
  summary: TrainingSummary;
  /** kNN accuracy per k of the encoder and of raw pixels, and the learned class similarity (`evaluateEncoder`'s result). */
  evalResult: Pick<EvalResult, 'knn' | 'baselineKnn' | 'learnedClassSimilarity'> &
    Partial<Pick<EvalResult, 'splits' | 'attributes'>>;
  /**
   * The training log's records (`metrics.jsonl`): `{ kind: 'step', step, loss }` make the loss
   * curve, `{ kind: 'epoch', epoch, valKnnTop1 }` the held-out kNN curve; others are ignored.
   */
  metrics: readonly Record<string, unknown>[];
  /** The class-level target graph: with it, heatmaps of the target and the learned class similarity. */
  graph?: { classNames: readonly string[]; similarity: ArrayLike<number>; encoder: string } | null;
}

/**
 * Renders a training run's plots (training loss, held-out kNN per epoch, test kNN vs k, target and
 * learned class similarity) into `outDir/plots/` as SVG and PNG and writes `outDir/report.html`
 * with the accuracy and run tables. Returns the report's path.
 */
export async function writeTrainingReport(options: TrainingReportOptions): Promise<string> {
  const { outDir, summary, evalResult, metrics, graph } = options;
  const images: string[] = [];
  const add = async (spec: PlotSpec, name: string) => {
    await renderPlot(spec, path.join(outDir, 'plots', name));
    images.push(`plots/${name}.svg`);
  };
  const curve = (kind: string, x: string, y: string, series: string): LinePoint[] =>
    metrics.filter((r) => r.kind === kind).map((r) => ({ x: r[x] as number, y: r[y] as number, series }));
  const loss = curve('step', 'step', 'loss', 'loss');
  if (loss.length) await add(lineSpec(loss, { title: 'training loss', x: 'step', y: 'loss' }), 'training-loss');
  const val = curve('epoch', 'epoch', 'valKnnTop1', 'held-out kNN@20');
  if (val.length)
    await add(lineSpec(val, { title: 'kNN accuracy on held-out training images', x: 'epoch', y: 'top-1' }), 'val-knn');
  const vsK: LinePoint[] = Object.keys(evalResult.knn)
    .map(Number)
    .flatMap((k) => [
      { x: k, y: evalResult.knn[k], series: `${summary.name} encoder` },
      { x: k, y: evalResult.baselineKnn[k], series: 'raw pixels' },
    ]);
  await add(lineSpec(vsK, { title: 'test kNN accuracy vs k', x: 'k', y: 'top-1', logX: true }), 'knn-vs-k');
  if (graph) {
    const title = `target: class similarity graph (${graph.encoder})`;
    await add(heatmapSpec(graph.similarity, graph.classNames, title, [0, 1]), 'target-similarity');
    const learned = 'learned: class-mean feature similarity';
    await add(heatmapSpec(evalResult.learnedClassSimilarity, graph.classNames, learned, [-1, 1]), 'learned-similarity');
  }
  const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
  const s = summary;
  const sections: ReportSection[] = [
    {
      title: 'Accuracy (test set)',
      table: [
        ['features', 'kNN top-1', 'linear top-1', 'linear top-5'],
        ['raw pixels', pct(s.baselineKnnTop1), pct(s.baselineLinearTop1), ''],
        [`${s.name} encoder`, pct(s.knnTop1), pct(s.linearTop1), pct(s.linearTop5)],
      ],
    },
    ...(evalResult.splits && Object.keys(evalResult.splits).length
      ? [
          {
            title: 'Other test splits (same kNN bank and probe)',
            table: [
              ['split', 'kNN top-1', 'linear top-1', 'raw pixels kNN', 'raw pixels linear'],
              ...Object.entries(evalResult.splits).map(([name, r]) => [
                name,
                pct(r.knnTop1),
                pct(r.linearTop1),
                pct(r.baselineKnnTop1),
                pct(r.baselineLinearTop1),
              ]),
            ],
          },
        ]
      : []),
    ...(evalResult.attributes
      ? [
          {
            title: `Attribute probes (${evalResult.attributes.split}, ${evalResult.attributes.rows} images; linear top-1 on a random half)`,
            table: [
              ['label', 'encoder', 'raw pixels', 'majority value'],
              ...Object.entries(evalResult.attributes.encoder).map(([name, a]) => [
                name,
                pct(a.top1),
                pct(evalResult.attributes!.baseline[name].top1),
                pct(a.majority),
              ]),
            ],
          },
        ]
      : []),
    {
      title: 'Run',
      table: [
        ['backend', 'threads', 'steps', 'samples/s', 'seconds'],
        [String(s.backend), String(s.threads), String(s.steps), String(s.samplesPerSecond), Number(s.seconds).toFixed(0)],
      ],
    },
    { title: 'Plots', images },
  ];
  return writeReport(
    path.join(outDir, 'report.html'),
    options.title ?? `training run ${path.basename(path.resolve(outDir))}`,
    sections,
  );
}
