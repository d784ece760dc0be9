#!/usr/bin/env node
// Prints every study's tables from docs/results/*.json as markdown (what docs/results.md quotes).
//   node experiments/report.mjs
import fs from 'node:fs';
import path from 'node:path';
import { meanStd, pct, root } from './study.mjs';

const load = (name) => {
  const file = path.join(root, 'docs', 'results', name);
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')).runs : [];
};
const table = (header, rows) => {
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log('');
};
const group = (runs, variant) => runs.filter((r) => r.variant === variant).map((r) => r.summary);
const cell = (ss, key) => (ss.length ? pct(meanStd(ss.map((s) => s[key]))) : '–');

console.log('## Fashion-MNIST methods (mean ± std over seeds)\n');
const methods = load('fmnist-methods.json');
const names = ['fmnist-simclr', 'fmnist-supcon', 'fmnist-xclr-simclr-augment', 'fmnist-xclr', 'fmnist-supervised'];
const any = methods[0]?.summary;
table(
  ['variant', 'seeds', 'kNN@20 %', 'linear %'],
  [
    ...(any ? [['raw pixels', '–', (100 * any.baselineKnnTop1).toFixed(2), (100 * any.baselineLinearTop1).toFixed(2)]] : []),
    ...names.map((v) => {
      const ss = group(methods, v);
      return [v, String(ss.length), cell(ss, 'knnTop1'), cell(ss, 'linearTop1')];
    }),
  ],
);
console.log('The same with the ConvNet (`--encoder convnet`):\n');
table(
  ['variant', 'seeds', 'kNN@20 %', 'linear %'],
  names.map((n) => {
    const ss = group(methods, `${n}-convnet`);
    return [`${n}-convnet`, String(ss.length), cell(ss, 'knnTop1'), cell(ss, 'linearTop1')];
  }),
);

console.log('## VICReg and Barlow Twins, standard and graph forms (SimCLR augmentations)\n');
const graphLosses = load('graph-losses.json');
table(
  ['variant', 'seeds', 'kNN@20 %', 'linear %'],
  ['fmnist-vicreg', 'fmnist-x-vicreg', 'fmnist-barlow', 'fmnist-x-barlow'].map((v) => {
    const ss = group(graphLosses, v);
    return [v, String(ss.length), cell(ss, 'knnTop1'), cell(ss, 'linearTop1')];
  }),
);
console.log("The same with the ConvNet (`--encoder convnet`), beside the methods study's ConvNet rows:\n");
table(
  ['variant', 'seeds', 'kNN@20 %', 'linear %'],
  [
    ...['fmnist-vicreg', 'fmnist-x-vicreg', 'fmnist-barlow', 'fmnist-x-barlow'].map((v) => [
      v,
      group(graphLosses, `${v}-convnet`),
    ]),
    ...['fmnist-simclr', 'fmnist-supcon', 'fmnist-xclr-simclr-augment'].map((v) => [v, group(methods, `${v}-convnet`)]),
  ].map(([v, ss]) => [`${v}-convnet`, String(ss.length), cell(ss, 'knnTop1'), cell(ss, 'linearTop1')]),
);

console.log('## X-CLR graph sources (the fmnist-xclr preset)\n');
function sourceRow(g, ss) {
  const r = ss.filter((s) => s.graphCorrelation && Number.isFinite(s.graphCorrelation.pearson));
  const m = meanStd(r.map((s) => s.graphCorrelation.pearson));
  const corr = g === 'labels' || !r.length ? '–' : m.n > 1 ? `${m.mean.toFixed(2)} ± ${m.std.toFixed(2)}` : m.mean.toFixed(2);
  return [g, String(ss.length), cell(ss, 'knnTop1'), cell(ss, 'linearTop1'), corr];
}
const sources = load('graph-sources.json');
table(
  ['graph', 'seeds', 'kNN@20 %', 'linear %', 'learned vs target (Pearson)'],
  ['class-descriptions', 'taxonomy', 'labels'].map((g) => sourceRow(g, group(sources, `fmnist-xclr-${g}`))),
);
console.log("The same with the ConvNet (class descriptions: the methods study's `fmnist-xclr-convnet`, the same config):\n");
table(
  ['graph', 'seeds', 'kNN@20 %', 'linear %', 'learned vs target (Pearson)'],
  ['class-descriptions', 'taxonomy', 'labels'].map((g) =>
    sourceRow(g, g === 'class-descriptions' ? group(methods, 'fmnist-xclr-convnet') : group(sources, `fmnist-xclr-${g}-convnet`)),
  ),
);

console.log('## Dense vs sparse caption targets (synth-xclr, 390 steps)\n');
const sparse = load('sparse-graphs.json');
table(
  ['targets', 'seeds', 'kNN@20 %', 'linear %', ...['only-fg', 'mixed-same', 'mixed-rand'].map((s) => `${s} linear %`)],
  ['synth-xclr-dense', 'synth-xclr-topk16', 'synth-xclr-topk16-neighbors64']
    .flatMap((v) => [v, `${v}-convnet`])
    .filter((v) => !v.endsWith('-convnet') || group(sparse, v).length > 0)
    .map((v) => {
      const ss = group(sparse, v);
      const split = (name) =>
        cell(
          ss.map((x) => x.splits[name]),
          'linearTop1',
        );
      return [
        v,
        String(ss.length),
        cell(ss, 'knnTop1'),
        cell(ss, 'linearTop1'),
        split('only-fg'),
        split('mixed-same'),
        split('mixed-rand'),
      ];
    }),
);

console.log('## Synthetic captions (object classes; background shift)\n');
const synth = load('synth-captions.json');
const splits = ['only-fg', 'mixed-same', 'mixed-rand'];
const s0 = synth[0]?.summary;
table(
  ['variant', 'seeds', 'original kNN / linear %', ...splits.map((s) => `${s} kNN / linear %`), 'retrieval i→t R@1/5/10 %'],
  [
    ...(s0
      ? [
          [
            'raw pixels',
            '–',
            `${(100 * s0.baselineKnnTop1).toFixed(2)} / ${(100 * s0.baselineLinearTop1).toFixed(2)}`,
            ...splits.map(
              (sp) =>
                `${(100 * s0.splits[sp].baselineKnnTop1).toFixed(2)} / ${(100 * s0.splits[sp].baselineLinearTop1).toFixed(2)}`,
            ),
            '–',
          ],
        ]
      : []),
    ...['synth-clip', 'synth-xclr', 'synth-simclr', 'synth-clip-convnet', 'synth-xclr-convnet', 'synth-simclr-convnet']
      .filter((v) => !v.endsWith('-convnet') || group(synth, v).length > 0)
      .map((v) => {
        const ss = group(synth, v);
        if (!ss.length) return [v, '0', '–', ...splits.map(() => '–'), '–'];
        const sp = (name, key) => pct(meanStd(ss.map((s) => s.splits[name][key])));
        const r = ss[0].retrieval;
        return [
          v,
          String(ss.length),
          `${cell(ss, 'knnTop1')} / ${cell(ss, 'linearTop1')}`,
          ...splits.map((name) => `${sp(name, 'knnTop1')} / ${sp(name, 'linearTop1')}`),
          r ? [1, 5, 10].map((k) => (100 * r.imageToText[k]).toFixed(1)).join(' / ') : '–',
        ];
      }),
  ],
);

console.log('## synth v2 (compositional captions; ConvNet)\n');
const synth2 = load('synth-v2-captions.json');
// The three methods, then X-CLR at other caption-target temperatures (`--taus`) where they ran.
const synth2Variants = [
  'synth2-clip-convnet',
  'synth2-xclr-convnet',
  'synth2-simclr-convnet',
  ...[...new Set(synth2.map((r) => r.variant).filter((v) => v.startsWith('synth2-xclr-tau')))].sort(),
];
const splits2 = ['only-fg', 'mixed-same', 'mixed-rand', 'attributes'];
if (synth2.length) {
  const mean = (ss, get) => pct(meanStd(ss.map(get)));
  table(
    ['variant', 'seeds', 'original kNN / linear %', ...splits2.map((s) => `${s} kNN / linear %`), 'retrieval i→t R@1/5/10 %'],
    [
      [
        'raw pixels',
        '–',
        `${(100 * synth2[0].summary.baselineKnnTop1).toFixed(2)} / ${(100 * synth2[0].summary.baselineLinearTop1).toFixed(2)}`,
        ...splits2.map((sp) => {
          const x = synth2[0].summary.splits[sp];
          return `${(100 * x.baselineKnnTop1).toFixed(2)} / ${(100 * x.baselineLinearTop1).toFixed(2)}`;
        }),
        '–',
      ],
      ...synth2Variants.map((v) => {
        const ss = group(synth2, v);
        if (!ss.length) return [v, '0', '–', ...splits2.map(() => '–'), '–'];
        const recall = ss.filter((s) => s.retrieval);
        return [
          v,
          String(ss.length),
          `${cell(ss, 'knnTop1')} / ${cell(ss, 'linearTop1')}`,
          ...splits2.map((sp) => `${mean(ss, (s) => s.splits[sp].knnTop1)} / ${mean(ss, (s) => s.splits[sp].linearTop1)}`),
          recall.length
            ? [1, 5, 10].map((k) => (100 * meanStd(recall.map((s) => s.retrieval.imageToText[k])).mean).toFixed(1)).join(' / ')
            : '–',
        ];
      }),
    ],
  );
  const probed = synth2.filter((r) => r.summary.attributes).map((r) => r.summary.attributes);
  const kinds = Object.keys(probed[0]?.encoder ?? {});
  if (kinds.length) {
    console.log('Attribute probes (linear top-1 % on a random half of the attributes split, fitted on the other half):\n');
    table(
      ['features', 'seeds', ...kinds],
      [
        ...synth2Variants.map((v) => {
          const as = synth2.filter((r) => r.variant === v && r.summary.attributes).map((r) => r.summary.attributes);
          return [v, String(as.length), ...kinds.map((k) => (as.length ? pct(meanStd(as.map((a) => a.encoder[k].top1))) : '–'))];
        }),
        ['raw pixels', String(probed.length), ...kinds.map((k) => pct(meanStd(probed.map((a) => a.baseline[k].top1))))],
        ['majority value', String(probed.length), ...kinds.map((k) => pct(meanStd(probed.map((a) => a.encoder[k].majority))))],
      ],
    );
  }
}
const similarity = load('synth-v2-similarity.json');
if (similarity.length) {
  console.log('Learned vs caption similarity by attribute value (Pearson over off-diagonal value pairs, mean over seeds):\n');
  const kinds = Object.keys(similarity[0].kinds);
  table(
    ['variant', 'seeds', ...kinds],
    synth2Variants.map((v) => {
      const rs = similarity.filter((r) => r.variant === v);
      return [
        v,
        String(rs.length),
        ...kinds.map((k) => (rs.length ? meanStd(rs.map((r) => r.kinds[k].pearson)).mean.toFixed(2) : '–')),
      ];
    }),
  );
}

const sharpness = fs.existsSync(path.join(root, 'docs/results/target-sharpness.json'))
  ? JSON.parse(fs.readFileSync(path.join(root, 'docs/results/target-sharpness.json'), 'utf8'))
  : null;
if (sharpness) {
  console.log(
    `How peaked X-CLR's targets are (batches of ${sharpness.batch}; per anchor, mean over ${sharpness.batches} batches):\n`,
  );
  table(
    ['graph', 'τ_s', 'own other view', 'same class (other samples)', `effective targets (of ${2 * sharpness.batch - 1})`],
    sharpness.rows.map((r) => [r.graph, String(r.tau), r.own.toFixed(3), r.sameClass.toFixed(3), r.effective.toFixed(1)]),
  );
}

console.log('## Target temperature τ_s (X-CLR, Fashion-MNIST)\n');
const tau = load('target-temperature.json');
const tauOf = (r) => Number(r.set.find((x) => x.startsWith('loss.targetTemperature='))?.split('=')[1]);
const tauPoints = [
  ...methods.filter((r) => r.variant === 'fmnist-xclr' && r.seed === 0).map((r) => [0.1, r.summary]),
  ...tau.filter((r) => !r.variant.endsWith('-convnet')).map((r) => [tauOf(r), r.summary]),
].sort((a, b) => a[0] - b[0]);
table(
  ['τ_s', 'kNN@20 %', 'linear %', 'Pearson(learned, target)'],
  tauPoints.map(([t, s]) => [
    String(t),
    (100 * s.knnTop1).toFixed(2),
    (100 * s.linearTop1).toFixed(2),
    s.graphCorrelation ? s.graphCorrelation.pearson.toFixed(3) : '–',
  ]),
);
// ConvNet: every τ_s with its seeds (τ_s = 0.1 is the methods study's fmnist-xclr-convnet).
const tauConv = new Map();
for (const r of methods.filter((r) => r.variant === 'fmnist-xclr-convnet'))
  tauConv.set(0.1, [...(tauConv.get(0.1) ?? []), r.summary]);
for (const r of tau.filter((r) => r.variant.endsWith('-convnet')))
  tauConv.set(tauOf(r), [...(tauConv.get(tauOf(r)) ?? []), r.summary]);
const tauConvRows = [...tauConv.entries()].sort((a, b) => a[0] - b[0]);
if (tauConvRows.length > 1) {
  console.log('The same with the ConvNet (mean ± std over seeds):\n');
  const corr = (ss) => {
    const m = meanStd(ss.filter((s) => s.graphCorrelation).map((s) => s.graphCorrelation.pearson));
    return m.n ? `${m.mean.toFixed(3)}${m.n > 1 ? ` ± ${m.std.toFixed(3)}` : ''}` : '–';
  };
  table(
    ['τ_s', 'seeds', 'kNN@20 %', 'linear %', 'Pearson(learned, target)'],
    tauConvRows.map(([t, ss]) => [String(t), String(ss.length), cell(ss, 'knnTop1'), cell(ss, 'linearTop1'), corr(ss)]),
  );
}

console.log('## Data efficiency (same ≈ 936 steps; evaluated on the full training set)\n');
const eff = load('data-efficiency.json');
// The 100 % points are the methods study's runs with the seeds the subsets used.
const fullRuns = (preset) => {
  const seeds = new Set(eff.filter((r) => r.variant.startsWith(`${preset}-0.`)).map((r) => r.seed));
  return methods.filter((r) => r.variant === preset && seeds.has(r.seed)).map((r) => r.summary);
};
const effPresets = ['fmnist-xclr', 'fmnist-simclr', 'fmnist-xclr-convnet', 'fmnist-simclr-convnet'];
const effRows = [];
for (const preset of effPresets) {
  for (const f of ['0.01', '0.1']) {
    const ss = group(eff, `${preset}-${f}`);
    if (ss.length) effRows.push([preset, `${100 * Number(f)} %`, String(ss.length), cell(ss, 'knnTop1'), cell(ss, 'linearTop1')]);
  }
  const full = fullRuns(preset);
  if (full.length) effRows.push([preset, '100 %', String(full.length), cell(full, 'knnTop1'), cell(full, 'linearTop1')]);
}
table(['method', 'training data', 'seeds', 'kNN@20 %', 'linear %'], effRows);

// Plots (docs/*.png and .svg) of the sweeps, through @xclr/eval's vega-lite renderer.
const { heatmapSpec, lineSpec, renderPlot } = await import('@xclr/eval/plots');
if (tauPoints.length > 1) {
  const points = [
    ...tauPoints.flatMap(([t, s]) => [
      { x: t, y: 100 * s.knnTop1, series: 'MLP kNN@20 (seed 0)' },
      { x: t, y: 100 * s.linearTop1, series: 'MLP linear (seed 0)' },
    ]),
    ...tauConvRows.flatMap(([t, ss]) => [
      { x: t, y: 100 * meanStd(ss.map((s) => s.knnTop1)).mean, series: `ConvNet kNN@20 (mean of ${ss.length})` },
      { x: t, y: 100 * meanStd(ss.map((s) => s.linearTop1)).mean, series: `ConvNet linear (mean of ${ss.length})` },
    ]),
  ];
  await renderPlot(
    lineSpec(points, { title: 'X-CLR on Fashion-MNIST: target temperature', x: 'τ_s (log scale)', y: 'top-1 %', logX: true }),
    path.join(root, 'docs', 'target-temperature'),
  );
  console.log('plot: docs/target-temperature.png');
}
if (effRows.length > 2) {
  const points = [];
  for (const preset of effPresets) {
    for (const [f, runs] of [
      [0.01, group(eff, `${preset}-0.01`)],
      [0.1, group(eff, `${preset}-0.1`)],
      [1, fullRuns(preset)],
    ]) {
      if (runs.length)
        points.push({
          x: 100 * f,
          y: 100 * meanStd(runs.map((s) => s.knnTop1)).mean,
          series: preset.replace('fmnist-', '').replace('-convnet', ' ConvNet'),
        });
    }
  }
  await renderPlot(
    lineSpec(points, {
      title: 'Data efficiency on Fashion-MNIST (kNN@20)',
      x: '% of training data (log scale)',
      y: 'top-1 %',
      logX: true,
    }),
    path.join(root, 'docs', 'data-efficiency'),
  );
  console.log('plot: docs/data-efficiency.png');
}

// Per-split bars of the caption studies (ConvNet; linear probe on object classes, mean over seeds).
const splitBars = (runs, variants, splitNames, title, base) => {
  const values = [];
  for (const v of variants) {
    const ss = group(runs, v);
    if (!ss.length) continue;
    const method = v.replace(/^synth2?-/, '').replace('-convnet', '');
    values.push({ split: 'original', method, top1: 100 * meanStd(ss.map((s) => s.linearTop1)).mean });
    for (const sp of splitNames)
      values.push({ split: sp, method, top1: 100 * meanStd(ss.map((s) => s.splits[sp].linearTop1)).mean });
  }
  if (!values.length) return null;
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values },
    width: 90,
    height: 220,
    mark: 'bar',
    encoding: {
      column: { field: 'split', type: 'nominal', sort: ['original', ...splitNames], title: null },
      x: { field: 'method', type: 'nominal', title: null, axis: { labels: false, ticks: false } },
      y: { field: 'top1', type: 'quantitative', title: 'linear top-1 %', scale: { domain: [0, 100] } },
      color: { field: 'method', type: 'nominal', title: 'method' },
    },
  };
  return renderPlot(spec, path.join(root, 'docs', base)).then(() => console.log(`plot: docs/${base}.png`));
};
await splitBars(
  synth,
  ['synth-clip-convnet', 'synth-xclr-convnet', 'synth-simclr-convnet'],
  splits,
  'Synthetic captions, ConvNet: object top-1 by split',
  'synth-captions-splits',
);
await splitBars(synth2, synth2Variants, splits2, 'synth v2, ConvNet: object top-1 by split', 'synth-v2-splits');
// Target vs learned similarity heatmaps on synth v2 (seed 0): colour values and object classes.
if (similarity.length) {
  const { SYNTH_V2_ATTRIBUTES } = await import('@xclr/data');
  const objects = ['T-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot'];
  for (const kind of ['color', 'object']) {
    const labels = kind === 'object' ? objects : SYNTH_V2_ATTRIBUTES[kind];
    const first = similarity.find((r) => r.seed === 0 && r.variant === 'synth2-xclr-convnet');
    if (!first) continue;
    // Class means of unit features share a common direction, so every value is near 1: each map's
    // colour scale spans its own range (the legend gives it) to show the structure.
    const range = (m) => [Math.min(...m), Math.max(...m)];
    await renderPlot(
      heatmapSpec(
        first.kinds[kind].target,
        labels,
        `synth v2 ${kind}: caption (target) similarity`,
        range(first.kinds[kind].target),
      ),
      path.join(root, 'docs', `synth-v2-${kind}-target`),
    );
    for (const v of synth2Variants) {
      const r = similarity.find((x) => x.seed === 0 && x.variant === v);
      if (r)
        await renderPlot(
          heatmapSpec(r.kinds[kind].learned, labels, `${v}: learned ${kind} similarity`, range(r.kinds[kind].learned)),
          path.join(root, 'docs', `synth-v2-${kind}-${v.replace('synth2-', '').replace('-convnet', '')}`),
        );
    }
    console.log(`plots: docs/synth-v2-${kind}-{target,clip,xclr,simclr}.png`);
  }
}

// Memory queues and large batches (ConvNet; Fashion-MNIST and the synthetic captioned set).
const queueRuns = load('memory-queue.json');
const batchRuns = load('batch-size.json');
const both = (ss) => (ss.length ? `${cell(ss, 'knnTop1')} / ${cell(ss, 'linearTop1')}` : '–');
const mixedRand = (ss) =>
  ss.length && ss[0].splits?.['mixed-rand']
    ? cell(
        ss.map((s) => s.splits['mixed-rand']),
        'linearTop1',
      )
    : '–';
if (queueRuns.length) {
  console.log('## Memory queues (150 steps at batch 256; kNN@20 / linear %; synth: mixed-rand linear %)\n');
  const rows = [];
  for (const d of ['fmnist', 'synth']) {
    for (const m of ['xclr', 'ntxent', 'supcon']) {
      const groups = [0, 1024, 8192].map((q) => group(queueRuns, `${d}-${m}-queue${q}`));
      rows.push([
        d,
        m,
        String(Math.min(...groups.map((g) => g.length))),
        ...groups.map(both),
        ...(d === 'synth' ? groups.map(mixedRand) : ['–', '–', '–']),
      ]);
    }
  }
  table(['data', 'loss', 'seeds', 'Q = 0', 'Q = 1,024', 'Q = 8,192', 'mixed-rand Q = 0', 'Q = 1,024', 'Q = 8,192'], rows);
  const points = [];
  for (const d of ['fmnist', 'synth']) {
    for (const m of ['xclr', 'ntxent', 'supcon']) {
      for (const q of [0, 1024, 8192]) {
        const ss = group(queueRuns, `${d}-${m}-queue${q}`);
        if (ss.length) points.push({ x: q, y: 100 * meanStd(ss.map((s) => s.knnTop1)).mean, series: `${d} ${m}` });
      }
    }
  }
  await renderPlot(
    lineSpec(points, { title: 'Memory queue size (ConvNet, 150 steps, kNN@20)', x: 'queue entries Q', y: 'top-1 %' }),
    path.join(root, 'docs', 'memory-queue'),
  );
  console.log('plot: docs/memory-queue.png');
}
if (batchRuns.length) {
  console.log('## Batch 256 vs 4,096 by gradient caching (20 steps; kNN@20 / linear %; synth: mixed-rand linear %)\n');
  const rows = [];
  const points = [];
  for (const d of ['fmnist', 'synth']) {
    for (const m of ['xclr', 'ntxent']) {
      const groups = [256, 4096].map((b) => group(batchRuns, `${d}-${m}-batch${b}`));
      rows.push([
        d,
        m,
        String(Math.min(...groups.map((g) => g.length))),
        ...groups.map(both),
        ...(d === 'synth' ? groups.map(mixedRand) : ['–', '–']),
      ]);
      for (const [i, b] of [256, 4096].entries()) {
        if (groups[i].length) points.push({ x: b, y: 100 * meanStd(groups[i].map((s) => s.knnTop1)).mean, series: `${d} ${m}` });
      }
    }
  }
  table(['data', 'loss', 'seeds', 'batch 256', 'batch 4,096', 'mixed-rand 256', 'mixed-rand 4,096'], rows);
  await renderPlot(
    lineSpec(points, {
      title: 'Batch size at the same 20 steps (ConvNet, kNN@20)',
      x: 'batch size (log scale)',
      y: 'top-1 %',
      logX: true,
    }),
    path.join(root, 'docs', 'batch-size'),
  );
  console.log('plot: docs/batch-size.png');
}

// The budget: every study run's wall-clock seconds as its summary recorded them (runs often
// shared the 2 cores with another, so this is machine time spent, not the time on a quiet core).
const budget = fs
  .readdirSync(path.join(root, 'docs', 'results'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => [f, load(f)])
  .filter(([, runs]) => Array.isArray(runs) && runs.some((r) => typeof r?.summary?.seconds === 'number'))
  .map(([f, runs]) => [f.replace('.json', ''), runs.length, runs.reduce((s, r) => s + (r.summary?.seconds ?? 0), 0) / 3600]);
console.log('## Budget (wall-clock hours of every study run)\n');
table(
  ['study', 'runs', 'hours'],
  [
    ...budget.map(([f, n, h]) => [f, String(n), h.toFixed(1)]),
    ['all', String(budget.reduce((s, b) => s + b[1], 0)), budget.reduce((s, b) => s + b[2], 0).toFixed(1)],
  ],
);
