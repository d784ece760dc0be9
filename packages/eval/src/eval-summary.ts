import { headlineK } from './encoder-eval.js';
import type { EvalResult } from './protocol.js';

/** The numbers a run is quoted by: encoder and raw-pixel top-1 at the headline k (20 when evaluated), and the rest of the result worth keeping. */
export function headlineScores(e: EvalResult, knnK: readonly number[]) {
  const k = headlineK(knnK);
  return {
    knnTop1: e.knn[k],
    linearTop1: e.linear.top1,
    linearTop5: e.linear.top5,
    baselineKnnTop1: e.baselineKnn[k],
    baselineLinearTop1: e.baselineLinear.top1,
    baselineLinearTop5: e.baselineLinear.top5,
    knn: e.knn,
    baselineKnn: e.baselineKnn,
    graphCorrelation: e.graphCorrelation,
    /** Extra test splits (e.g. background shifts), when evaluated. */
    splits: Object.keys(e.splits).length ? e.splits : undefined,
    /** Image ↔ caption recall@k on the test set, when evaluated. */
    retrieval: e.retrieval,
    /** Attribute probes (object and each attribute; encoder and raw pixels), when evaluated. */
    attributes: e.attributes,
  };
}

export type HeadlineScores = ReturnType<typeof headlineScores>;

const pct = (v: number) => `${(100 * v).toFixed(2)}%`.padStart(9);
const line = (label: string, knn: number, linear: number) => `${label.padEnd(28)}${pct(knn)}  ${pct(linear)}`;

/** A text table of the encoder against raw pixels: kNN and linear top-1, per extra split, and retrieval recall. */
export function scoreTable(name: string, s: HeadlineScores, k: number): string {
  const rows = [
    `${'features'.padEnd(28)}${`kNN@${k}`.padStart(9)}  ${'linear'.padStart(9)}`,
    line('raw pixels', s.baselineKnnTop1, s.baselineLinearTop1),
    line(`${name} encoder`, s.knnTop1, s.linearTop1),
  ];
  for (const [split, r] of Object.entries(s.splits ?? {})) {
    rows.push(
      line(`  ${split}: raw pixels`, r.baselineKnnTop1, r.baselineLinearTop1),
      line(`  ${split}: encoder`, r.knnTop1, r.linearTop1),
    );
  }
  if (s.attributes) {
    const { split, rows: n, encoder, baseline } = s.attributes;
    rows.push(`attribute probes (${split}, ${n} images, linear top-1 on a random half): encoder / raw pixels / majority`);
    for (const [name, a] of Object.entries(encoder))
      rows.push(`  ${name.padEnd(26)}${pct(a.top1)}  ${pct(baseline[name].top1)}  ${pct(a.majority)}`);
  }
  if (s.retrieval) {
    const recall = (at: Record<number, number>) => [1, 5, 10].map((n) => pct(at[n]).trim()).join(' ');
    rows.push(`retrieval R@1/5/10: image→text ${recall(s.retrieval.imageToText)}, text→image ${recall(s.retrieval.textToImage)}`);
  }
  return rows.join('\n');
}

/** The same as CSV: one row for the encoder, one for raw pixels. */
export function scoreCsv(name: string, s: HeadlineScores, k: number): string {
  return [
    'encoder,knn_k,knn_top1,linear_top1,linear_top5',
    `${name},${k},${s.knnTop1},${s.linearTop1},${s.linearTop5}`,
    `raw pixels,${k},${s.baselineKnnTop1},${s.baselineLinearTop1},${s.baselineLinearTop5}`,
    '',
  ].join('\n');
}
