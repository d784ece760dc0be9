import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { defaultCacheDir, type ImageDataset, writeFileAtomic } from '@xclr/data';
import {
  classSimilarity,
  type Features,
  features,
  graphCorrelation,
  knnClassify,
  linearProbe,
  retrievalRecall,
} from '@xclr/eval';
import type { ContrastiveModel } from '@xclr/models';
import type { RunConfig } from '../config/schema.js';
import { evalIndices, pixelRows } from './datasets.js';
import { Progress } from './progress.js';

/** Encoder features of `indices`, in batches, in inference mode. */
export function extractFeatures(
  model: ContrastiveModel,
  dataset: ImageDataset,
  indices: Int32Array,
  from: 'backbone' | 'head',
  batch = 1000,
): Float32Array {
  const pixels = pixelRows(dataset, indices);
  const shape = [dataset.height, dataset.width, dataset.channels];
  const n = shape[0] * shape[1] * shape[2];
  const parts: Float32Array[] = [];
  for (let start = 0; start < indices.length; start += batch) {
    const rows = Math.min(batch, indices.length - start);
    const out = tf.tidy(() =>
      model.embed(tf.tensor4d(pixels.subarray(start * n, (start + rows) * n), [rows, shape[0], shape[1], shape[2]]), from),
    );
    parts.push(out.dataSync() as Float32Array);
    out.dispose();
  }
  const dim = parts[0].length / Math.min(batch, indices.length);
  const all = new Float32Array(indices.length * dim);
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.length;
  }
  return all;
}

export interface EvalResult {
  knn: Record<number, number>;
  linear: { top1: number; top5: number; weightDecay: number; epoch: number };
  baselineKnn: Record<number, number>;
  baselineLinear: { top1: number; top5: number };
  /** Correlation of learned class similarities with the target graph (X-CLR runs). */
  graphCorrelation?: { pearson: number; spearman: number };
  learnedClassSimilarity: number[];
  /** Extra test splits: kNN (headline k) and linear top-1 of the encoder and of raw pixels. */
  splits: Record<string, { knnTop1: number; linearTop1: number; baselineKnnTop1: number; baselineLinearTop1: number }>;
  retrieval?: { imageToText: Record<number, number>; textToImage: Record<number, number> };
  trainSize: number;
  testSize: number;
}

export interface EvalExtras {
  /** More labelled test sets, scored with the same kNN bank and the same selected probe. */
  extraTests?: Record<string, ImageDataset>;
  /** Image ↔ caption retrieval on the test set through the run's text tower (CLIP). */
  retrieval?: RetrievalInputs | null;
}

/** The kNN k quoted as the headline number (DINO's default, 20, when evaluated). */
export function headline(ks: number[]): number {
  return ks.includes(20) ? 20 : ks[0];
}

/** kNN at every k and a linear probe (scored on the extra splits too) of one feature space. */
function scoreFeatures(
  config: RunConfig,
  numClasses: number,
  train: { f: Features; labels: Int32Array },
  test: { f: Features; labels: Int32Array },
  extra: Record<string, { f: Features; labels: Int32Array }>,
) {
  const knn = knnClassify(train.f, train.labels, test.f, test.labels, { ks: config.eval.knnK, numClasses });
  const probe = linearProbe(train.f, train.labels, test.f, test.labels, {
    epochs: config.eval.linearEpochs,
    numClasses,
    alsoEvaluate: Object.fromEntries(Object.entries(extra).map(([name, e]) => [name, { features: e.f, labels: e.labels }])),
  });
  const k = headline(config.eval.knnK);
  const splits = Object.fromEntries(
    Object.entries(extra).map(([name, e]) => [
      name,
      {
        knnTop1: knnClassify(train.f, train.labels, e.f, e.labels, { ks: [k], numClasses }).accuracy[k],
        linearTop1: probe.splits[name].top1,
      },
    ]),
  );
  return { knn: knn.accuracy, probe, splits };
}

export interface LabelledFeatures {
  f: Features;
  labels: Int32Array;
}

/** The encoder's features of the evaluation rows of train, test and the extra test splits. */
export function evalFeatureSets(config: RunConfig, model: ContrastiveModel, train: ImageDataset, test: ImageDataset, extraTests: Record<string, ImageDataset> = {}) {
  const rowsOf = (d: ImageDataset, size: number) => {
    const idx = evalIndices(d, size);
    const rows = extractFeatures(model, d, idx, config.eval.features);
    return { f: features(rows, rows.length / idx.length), labels: Int32Array.from(idx, (i) => d.labels![i]), idx };
  };
  const trainSet = rowsOf(train, config.eval.trainSize);
  return {
    train: trainSet,
    test: rowsOf(test, config.eval.testSize),
    extra: Object.fromEntries(Object.entries(extraTests).map(([name, d]) => [name, rowsOf(d, config.eval.testSize)])) as Record<string, LabelledFeatures & { idx: Int32Array }>,
    numClasses: train.classNames?.length ?? Math.max(...trainSet.labels) + 1,
  };
}

export interface RetrievalInputs {
  captions: readonly string[];
  /** Frozen caption embeddings (LiT-style tower), one row per test sample, or null. */
  rows: Float32Array | null;
  embedText: (captions: readonly string[], rows: Float32Array | null) => tf.Tensor2D;
}

/** Image ↔ caption recall@1/5/10 on the test rows `idx`: image head outputs against the text tower's. */
export function retrievalScores(model: ContrastiveModel, test: ImageDataset, idx: Int32Array, r: RetrievalInputs) {
  const pick = Array.from(idx);
  const source = r.rows;
  const dim = source ? source.length / r.captions.length : 0;
  const rows = source ? new Float32Array(pick.length * dim) : null;
  if (rows && source) {
    pick.forEach((i, k) => {
      rows.set(source.subarray(i * dim, (i + 1) * dim), k * dim);
    });
  }
  const text = tf.tidy(() => r.embedText(pick.map((i) => r.captions[i]), rows));
  const textRows = Float32Array.from(text.dataSync());
  const width = text.shape[1];
  text.dispose();
  const image = extractFeatures(model, test, idx, 'head');
  return retrievalRecall(features(image, image.length / pick.length), features(textRows, width));
}

/** kNN and linear probe of the encoder, beside the same on raw pixels (every number's floor). */
export function evaluateEncoder(
  config: RunConfig,
  model: ContrastiveModel,
  train: ImageDataset,
  test: ImageDataset,
  targetGraph: Float32Array | null,
  log: (line: string) => void,
  extras: EvalExtras = {},
): EvalResult {
  const progress = new Progress('eval', 4, process.stderr, 'stages');
  const sets = evalFeatureSets(config, model, train, test, extras.extraTests);
  const { numClasses } = sets;
  const trainIdx = sets.train.idx;
  const testIdx = sets.test.idx;
  const trainLabels = sets.train.labels;
  const testLabels = sets.test.labels;
  const extraSets = Object.entries(extras.extraTests ?? {}).map(([name, d]) => ({ name, d, ...sets.extra[name] }));
  progress.update(1, 'features');
  const encoder = scoreFeatures(config, numClasses, sets.train, sets.test, sets.extra);
  progress.update(3, 'kNN and linear probe');
  // The raw-pixel baseline depends only on the data and the evaluation settings: computed once, cached.
  const baselineKey = JSON.stringify([
    train.source,
    train.name,
    test.name,
    trainIdx.length,
    testIdx.length,
    config.eval.knnK,
    config.eval.linearEpochs,
    ...(extraSets.length ? [extraSets.map((e) => [e.d.source, e.d.name])] : []),
  ]);
  const baselineFile = path.join(
    defaultCacheDir(),
    `baseline-${createHash('sha256').update(baselineKey).digest('hex').slice(0, 16)}.json`,
  );
  let baseline: {
    knn: Record<number, number>;
    linear: { top1: number; top5: number };
    splits?: Record<string, { knnTop1: number; linearTop1: number }>;
  };
  if (fs.existsSync(baselineFile)) {
    baseline = JSON.parse(fs.readFileSync(baselineFile, 'utf8'));
  } else {
    const pixelDim = train.height * train.width * train.channels;
    const px = (d: ImageDataset, idx: Int32Array) => features(pixelRows(d, idx), pixelDim);
    const pixels = scoreFeatures(
      config,
      numClasses,
      { f: px(train, trainIdx), labels: trainLabels },
      { f: px(test, testIdx), labels: testLabels },
      Object.fromEntries(extraSets.map(({ name, d, idx, labels }) => [name, { f: px(d, idx), labels }])),
    );
    baseline = { knn: pixels.knn, linear: { top1: pixels.probe.top1, top5: pixels.probe.top5 }, splits: pixels.splits };
    writeFileAtomic(baselineFile, JSON.stringify(baseline));
  }
  progress.done('raw-pixel baseline');
  const splits = Object.fromEntries(
    Object.entries(encoder.splits).map(([name, e]) => [
      name,
      {
        ...e,
        baselineKnnTop1: baseline.splits?.[name]?.knnTop1 ?? Number.NaN,
        baselineLinearTop1: baseline.splits?.[name]?.linearTop1 ?? Number.NaN,
      },
    ]),
  );
  const retrieval = extras.retrieval ? retrievalScores(model, test, testIdx, extras.retrieval) : undefined;
  const learned = classSimilarity(sets.test.f, testLabels, numClasses);
  log(
    `evaluated on ${trainIdx.length} train / ${testIdx.length} test images${extraSets.length ? ` and ${extraSets.map((e) => e.name).join(', ')}` : ''}`,
  );
  return {
    knn: encoder.knn,
    linear: encoder.probe,
    baselineKnn: baseline.knn,
    baselineLinear: baseline.linear,
    graphCorrelation: targetGraph ? graphCorrelation(learned, targetGraph, numClasses) : undefined,
    learnedClassSimilarity: Array.from(learned),
    splits,
    retrieval,
    trainSize: trainIdx.length,
    testSize: testIdx.length,
  };
}
