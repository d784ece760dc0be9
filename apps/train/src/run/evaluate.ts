import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { defaultCacheDir, type ImageDataset, writeFileAtomic } from '@xclr/data';
import { classSimilarity, features, graphCorrelation, knnClassify, linearProbe } from '@xclr/eval';
import type { ContrastiveModel } from '@xclr/models';
import type { RunConfig } from '../config/schema.js';
import { evalIndices, pixelRows } from './datasets.js';
import { Progress } from './progress.js';

/** Encoder features of `indices`, in batches, in inference mode. */
export function extractFeatures(model: ContrastiveModel, dataset: ImageDataset, indices: Int32Array, from: 'backbone' | 'head', batch = 1000): Float32Array {
  const pixels = pixelRows(dataset, indices);
  const shape = [dataset.height, dataset.width, dataset.channels];
  const n = shape[0] * shape[1] * shape[2];
  const parts: Float32Array[] = [];
  for (let start = 0; start < indices.length; start += batch) {
    const rows = Math.min(batch, indices.length - start);
    const out = tf.tidy(() => model.embed(tf.tensor4d(pixels.subarray(start * n, (start + rows) * n), [rows, shape[0], shape[1], shape[2]]), from));
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
  trainSize: number;
  testSize: number;
}

/** kNN and linear probe of the encoder, beside the same on raw pixels (every number's floor). */
export function evaluateEncoder(
  config: RunConfig,
  model: ContrastiveModel,
  train: ImageDataset,
  test: ImageDataset,
  targetGraph: Float32Array | null,
  log: (line: string) => void,
): EvalResult {
  const trainIdx = evalIndices(train, config.eval.trainSize);
  const testIdx = evalIndices(test, config.eval.testSize);
  const trainLabels = Int32Array.from(trainIdx, (i) => train.labels![i]);
  const testLabels = Int32Array.from(testIdx, (i) => test.labels![i]);
  const numClasses = train.classNames?.length ?? Math.max(...trainLabels) + 1;
  const progress = new Progress('eval', 4, process.stderr, 'stages');
  const trainF = extractFeatures(model, train, trainIdx, config.eval.features);
  const testF = extractFeatures(model, test, testIdx, config.eval.features);
  const dim = trainF.length / trainIdx.length;
  progress.update(1, 'features');
  const knn = knnClassify(features(trainF, dim), trainLabels, features(testF, dim), testLabels, { ks: config.eval.knnK, numClasses });
  progress.update(2, 'kNN');
  const probe = linearProbe(features(trainF, dim), trainLabels, features(testF, dim), testLabels, { epochs: config.eval.linearEpochs, numClasses });
  progress.update(3, 'linear probe');
  // The raw-pixel baseline depends only on the data and the evaluation settings: computed once, cached.
  const baselineKey = JSON.stringify([train.source, train.name, test.name, trainIdx.length, testIdx.length, config.eval.knnK, config.eval.linearEpochs]);
  const baselineFile = path.join(defaultCacheDir(), `baseline-${createHash('sha256').update(baselineKey).digest('hex').slice(0, 16)}.json`);
  let baseline: { knn: Record<number, number>; linear: { top1: number; top5: number } };
  if (fs.existsSync(baselineFile)) {
    baseline = JSON.parse(fs.readFileSync(baselineFile, 'utf8'));
  } else {
    const pixelDim = train.height * train.width * train.channels;
    const trainP = features(pixelRows(train, trainIdx), pixelDim);
    const testP = features(pixelRows(test, testIdx), pixelDim);
    const knnP = knnClassify(trainP, trainLabels, testP, testLabels, { ks: config.eval.knnK, numClasses });
    const linearP = linearProbe(trainP, trainLabels, testP, testLabels, { epochs: config.eval.linearEpochs, numClasses });
    baseline = { knn: knnP.accuracy, linear: { top1: linearP.top1, top5: linearP.top5 } };
    writeFileAtomic(baselineFile, JSON.stringify(baseline));
  }
  const baselineKnn = { accuracy: baseline.knn };
  const baselineLinear = baseline.linear;
  progress.done('raw-pixel baseline');
  const learned = classSimilarity(features(testF, dim), testLabels, numClasses);
  log(`evaluated on ${trainIdx.length} train / ${testIdx.length} test images`);
  return {
    knn: knn.accuracy,
    linear: probe,
    baselineKnn: baselineKnn.accuracy,
    baselineLinear,
    graphCorrelation: targetGraph ? graphCorrelation(learned, targetGraph, numClasses) : undefined,
    learnedClassSimilarity: Array.from(learned),
    trainSize: trainIdx.length,
    testSize: testIdx.length,
  };
}
