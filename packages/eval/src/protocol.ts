// `@xclr/eval/protocol`: the whole evaluation protocol of a frozen encoder, beside the same
// protocol on raw pixels, with that baseline cached on disk. Node only (node:crypto, node:fs).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type AttributeProbe, attributeProbes } from './attribute-probes.js';
import {
  type EvalImages,
  evalRows,
  extractFeatures,
  type FeatureSetOptions,
  type LabelledFeatures,
  labelKindsOf,
  pixelRows,
  type RetrievalInputs,
  retrievalScores,
  scoreFeatureSets,
} from './encoder-eval.js';
import { type Features, features } from './features.js';
import type { LinearProbeResult } from './linear-probe.js';
import type { RetrievalResult } from './retrieval.js';
import { classSimilarity, graphCorrelation } from './similarity-structure.js';
import { writeFileAtomic } from './write-atomic.js';

export * from './encoder-eval.js';

export interface EvaluateOptions extends FeatureSetOptions {
  /** kNN neighbour counts. Default [1, 10, 20, 200]; the headline k is 20 when present. */
  knnK?: readonly number[];
  /** Linear-probe gradient steps per weight decay. Default 100. */
  linearEpochs?: number;
  /** numClasses × numClasses target similarity (e.g. a class-description graph): correlated with the learned class similarities. */
  targetGraph?: ArrayLike<number> | null;
  /** Image ↔ caption retrieval on the evaluated test rows. */
  retrieval?: RetrievalInputs | null;
  /**
   * Attribute probes (`attributeProbes`) on this split's evaluated rows, `test` or a key of
   * `extraTests`, whose images carry `attributes`: the object (the class labels) and each
   * attribute, encoder and raw pixels, on one random 50/50 split (`attributeSeed`, default 0).
   */
  attributeSplit?: string;
  attributeSeed?: number;
  /** Folder for the raw-pixel baseline cache (keyed on a hash of the evaluated pixels, labels and settings). None: no caching. */
  cacheDir?: string;
  /** Progress: called after each stage with (stages done, total stages, what was done). */
  onStage?: (done: number, total: number, label: string) => void;
  /** One summary line at the end. */
  log?: (line: string) => void;
}

export interface EvalResult {
  /** Encoder kNN top-1 on the test set, per k. */
  knn: Record<number, number>;
  /** Encoder linear probe on the test set (with the chosen weight decay and step, and its validation accuracy). */
  linear: LinearProbeResult;
  baselineKnn: Record<number, number>;
  baselineLinear: { top1: number; top5: number };
  /** Correlation of learned class similarities with `targetGraph`, when given. */
  graphCorrelation?: { pearson: number; spearman: number };
  /** numClasses × numClasses cosine similarities of the test set's class-mean features, row-major. */
  learnedClassSimilarity: number[];
  /** Extra test splits: kNN (headline k) and linear top-1 of the encoder and of raw pixels. */
  splits: Record<string, { knnTop1: number; linearTop1: number; baselineKnnTop1: number; baselineLinearTop1: number }>;
  retrieval?: RetrievalResult;
  /** `attributeSplit`'s probes: per label kind (`object` and each attribute), encoder and raw pixels. */
  attributes?: { split: string; rows: number; encoder: Record<string, AttributeProbe>; baseline: Record<string, AttributeProbe> };
  trainSize: number;
  testSize: number;
}

interface Baseline {
  knn: Record<number, number>;
  linear: { top1: number; top5: number };
  splits: Record<string, { knnTop1: number; linearTop1: number }>;
  attributes?: Record<string, AttributeProbe>;
}

const BASELINE_FORMAT = 2;

/**
 * The raw-pixel baseline's cache key: sha256 over the settings and, for every split in order, its
 * name, image shape, the bytes of its evaluated images and their labels. Replacing any image or
 * label of the evaluated rows changes it.
 */
export function baselineCacheKey(
  splits: readonly { split: string; images: EvalImages; idx: Int32Array; labels: Int32Array }[],
  settings: {
    knnK: readonly number[];
    linearEpochs: number;
    numClasses: number;
    attributeSplit?: string;
    attributeSeed?: number;
  },
): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ format: BASELINE_FORMAT, ...settings, knnK: [...settings.knnK] }));
  for (const { split, images, idx, labels } of splits) {
    const n = images.height * images.width * images.channels;
    hash.update(JSON.stringify({ split, shape: [images.height, images.width, images.channels], rows: idx.length }));
    for (const i of idx) hash.update(images.pixels.subarray(i * n, (i + 1) * n));
    hash.update(new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength));
    if (split === settings.attributeSplit) {
      for (const [name, values] of Object.entries(images.attributes ?? {})) {
        hash.update(name);
        hash.update(Int32Array.from(idx, (i) => values[i]));
      }
    }
  }
  return hash.digest('hex');
}

function readBaseline(file: string, ks: readonly number[], extra: readonly string[], attributes: boolean): Baseline | null {
  let cached: Baseline;
  try {
    cached = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null; // absent or unreadable: recompute
  }
  const ok =
    ks.every((k) => typeof cached?.knn?.[k] === 'number') &&
    typeof cached?.linear?.top1 === 'number' &&
    extra.every((name) => typeof cached?.splits?.[name]?.knnTop1 === 'number') &&
    (!attributes || typeof cached?.attributes?.object?.top1 === 'number');
  return ok ? cached : null;
}

/** The label kinds an attribute split's rows are probed for: `object` (the class) and each attribute. */
function probeLabels(row: { split: string; images: EvalImages; idx: Int32Array }) {
  if (Object.keys(row.images.attributes ?? {}).length === 0)
    throw new Error(`attributeSplit: ${row.images.name} (the ${row.split} split) has no attributes to probe`);
  return labelKindsOf(row.images, row.idx);
}

/**
 * The evaluation protocol of a frozen encoder: its features of evenly spread train and test rows
 * (in batches, under tf.tidy), kNN at every k and a linear probe (also scored on `extraTests`),
 * the same on raw pixels (every number's floor; cached in `cacheDir` when given), the class
 * similarity of the test features and its correlation with `targetGraph`, and image ↔ caption
 * retrieval when `retrieval` is given, attribute probes when `attributeSplit` is. Leaves no tensors behind.
 */
export async function evaluateEncoder(o: EvaluateOptions): Promise<EvalResult> {
  const knnK = [...(o.knnK ?? [1, 10, 20, 200])];
  const linearEpochs = o.linearEpochs ?? 100;
  const total = 4;
  const stage = (done: number, label: string) => o.onStage?.(done, total, label);
  const { rows, numClasses } = evalRows(o);
  if (o.targetGraph && o.targetGraph.length !== numClasses * numClasses) {
    throw new Error(
      `targetGraph: ${o.targetGraph.length} values for ${numClasses} classes (expected ${numClasses * numClasses})`,
    );
  }
  const extraNames = rows.slice(2).map((r) => r.split);
  const attributeRow =
    o.attributeSplit === undefined ? undefined : rows.find((r) => r.split === o.attributeSplit && r.split !== 'train');
  if (o.attributeSplit !== undefined && !attributeRow)
    throw new Error(
      `attributeSplit: "${o.attributeSplit}" is not an evaluated test split (${['test', ...extraNames].join(', ')})`,
    );
  const attributeLabels = attributeRow && probeLabels(attributeRow);
  const attributeSeed = o.attributeSeed ?? 0;
  const probe = (sets: { test: LabelledFeatures; extra: Record<string, LabelledFeatures> }) =>
    attributeLabels
      ? attributeProbes(attributeRow.split === 'test' ? sets.test.f : sets.extra[attributeRow.split].f, attributeLabels, {
          seed: attributeSeed,
          epochs: linearEpochs,
        })
      : undefined;
  const setsOf = async (featuresOf: (r: (typeof rows)[number]) => Features | Promise<Features>) => {
    const sets: LabelledFeatures[] = [];
    for (const r of rows) sets.push({ f: await featuresOf(r), labels: r.labels, idx: r.idx });
    return {
      train: sets[0],
      test: sets[1],
      extra: Object.fromEntries(extraNames.map((name, i) => [name, sets[i + 2]])),
      numClasses,
    };
  };

  const encoderSets = await setsOf((r) => extractFeatures(o.embed, r.images, r.idx, o.batch));
  stage(1, 'encoder features');
  const encoder = await scoreFeatureSets(encoderSets, { knnK, linearEpochs });
  const encoderAttributes = await probe(encoderSets);
  stage(2, attributeLabels ? 'kNN, linear and attribute probes' : 'kNN and linear probe');

  // The raw-pixel baseline depends only on the evaluated data and the settings: cached by content.
  const file = o.cacheDir
    ? path.join(
        o.cacheDir,
        `eval-baseline-${baselineCacheKey(rows, { knnK, linearEpochs, numClasses, attributeSplit: attributeRow?.split, attributeSeed }).slice(0, 32)}.json`,
      )
    : null;
  let baseline = file ? readBaseline(file, knnK, extraNames, attributeLabels !== undefined) : null;
  if (baseline) {
    stage(3, 'raw-pixel baseline (cached)');
  } else {
    const pixelDim = o.train.height * o.train.width * o.train.channels;
    const pixelSets = await setsOf((r) => features(pixelRows(r.images, r.idx), pixelDim, `${r.images.name} pixels`));
    const px = await scoreFeatureSets(pixelSets, { knnK, linearEpochs });
    const attributes = await probe(pixelSets);
    baseline = { knn: px.knn, linear: { top1: px.linear.top1, top5: px.linear.top5 }, splits: px.splits, attributes };
    if (file) writeFileAtomic(file, `${JSON.stringify(baseline)}\n`);
    stage(3, 'raw-pixel baseline');
  }

  const test = encoderSets.test;
  const learned = classSimilarity(test.f, test.labels, numClasses);
  const retrieval = o.retrieval ? await retrievalScores(o.test, test.idx, { batch: o.batch, ...o.retrieval }) : undefined;
  stage(4, o.retrieval ? 'class similarity and retrieval' : 'class similarity');
  const b = baseline;
  const splits = Object.fromEntries(
    Object.entries(encoder.splits).map(([name, e]) => [
      name,
      { ...e, baselineKnnTop1: b.splits[name].knnTop1, baselineLinearTop1: b.splits[name].linearTop1 },
    ]),
  );
  o.log?.(
    `evaluated on ${encoderSets.train.idx.length} train / ${test.idx.length} test images${extraNames.length ? ` and ${extraNames.join(', ')}` : ''}`,
  );
  return {
    knn: encoder.knn,
    linear: encoder.linear,
    baselineKnn: baseline.knn,
    baselineLinear: baseline.linear,
    graphCorrelation: o.targetGraph ? graphCorrelation(learned, o.targetGraph, numClasses) : undefined,
    learnedClassSimilarity: Array.from(learned),
    splits,
    retrieval,
    attributes:
      attributeRow && encoderAttributes && baseline.attributes
        ? { split: attributeRow.split, rows: attributeRow.idx.length, encoder: encoderAttributes, baseline: baseline.attributes }
        : undefined,
    trainSize: encoderSets.train.idx.length,
    testSize: test.idx.length,
  };
}

export { type HeadlineScores, headlineScores, scoreCsv, scoreTable } from './eval-summary.js';
