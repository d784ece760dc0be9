import * as tf from '@tensorflow/tfjs-core';
import { checkLabels, type Features } from './features.js';

export interface LinearProbeOptions {
  /** Every `round(1 / valFraction)`-th training row is held out for model selection. Default 0.1. */
  valFraction?: number;
  /** L2 penalties tried; the one with the best validation accuracy wins. */
  weightDecays?: number[];
  /** Full-batch gradient steps per candidate; the best validation step is kept (early stopping). */
  epochs?: number;
  learningRate?: number;
  momentum?: number;
  numClasses?: number;
  /**
   * More labelled test sets scored with the same selected probe (e.g. the background-shift splits
   * of an ImageNet-9-style benchmark); their top-1 / top-5 come back in `splits`.
   */
  alsoEvaluate?: Record<string, { features: Features; labels: ArrayLike<number> }>;
}

export interface LinearProbeResult {
  top1: number;
  top5: number;
  weightDecay: number;
  /** Step (1-based) whose weights were kept. */
  epoch: number;
  valAccuracy: number;
  /** Accuracies on each set of `alsoEvaluate`, by name. */
  splits: Record<string, { top1: number; top5: number }>;
}

/** Mean and standard deviation (+1e-6) per column of `rows` of `x`. */
function columnStats(x: Float32Array, dim: number, rows: number[]): { mean: Float64Array; std: Float64Array } {
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  for (const r of rows) for (let k = 0; k < dim; k++) mean[k] += x[r * dim + k];
  for (let k = 0; k < dim; k++) mean[k] /= rows.length;
  for (const r of rows) for (let k = 0; k < dim; k++) sq[k] += (x[r * dim + k] - mean[k]) ** 2;
  const std = sq.map((s) => Math.sqrt(s / rows.length) + 1e-6);
  return { mean, std };
}

function standardized(
  x: Float32Array,
  dim: number,
  rows: number[],
  stats: { mean: Float64Array; std: Float64Array },
): tf.Tensor2D {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => {
    for (let k = 0; k < dim; k++) out[i * dim + k] = (x[r * dim + k] - stats.mean[k]) / stats.std[k];
  });
  return tf.tensor2d(out, [rows.length, dim]);
}

async function topKAccuracy(logits: tf.Tensor2D, labels: ArrayLike<number>, k: number): Promise<number> {
  const kk = Math.min(k, logits.shape[1]);
  const top = tf.topk(logits, kk);
  tf.dispose(top.values);
  const idx = await top.indices.data().finally(() => top.indices.dispose());
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    for (let t = 0; t < kk; t++) if (idx[i * kk + t] === labels[i]) correct++;
  }
  return correct / labels.length;
}

/**
 * Linear probe: softmax regression on standardised frozen features (statistics from the fitted
 * rows), full-batch gradient descent with momentum, weight decay and early stopping chosen on a
 * held-out validation split. Deterministic, so a reference implementation can reproduce it.
 */
export async function linearProbe(
  train: Features,
  trainLabels: ArrayLike<number>,
  test: Features,
  testLabels: ArrayLike<number>,
  options: LinearProbeOptions = {},
): Promise<LinearProbeResult> {
  checkLabels('linearProbe train', trainLabels, train.rows);
  checkLabels('linearProbe test', testLabels, test.rows);
  if (train.dim !== test.dim) throw new Error(`linearProbe: train features have dim ${train.dim}, test features ${test.dim}`);
  for (const [name, set] of Object.entries(options.alsoEvaluate ?? {})) {
    checkLabels(`linearProbe ${name}`, set.labels, set.features.rows);
    if (set.features.dim !== train.dim)
      throw new Error(`linearProbe: train features have dim ${train.dim}, ${name} features ${set.features.dim}`);
  }
  const { valFraction = 0.1, weightDecays = [0, 1e-4, 1e-3, 1e-2], epochs = 100, learningRate = 0.1, momentum = 0.9 } = options;
  const numClasses = options.numClasses ?? Math.max(...Array.from(trainLabels)) + 1;
  const step = Math.max(2, Math.round(1 / valFraction));
  const valRows: number[] = [];
  const fitRows: number[] = [];
  for (let i = 0; i < train.rows; i++) (i % step === 0 ? valRows : fitRows).push(i);
  if (valRows.length === 0 || fitRows.length === 0)
    throw new Error(`linearProbe: ${train.rows} training rows are too few to hold out a validation split`);
  const stats = columnStats(train.data, train.dim, fitRows);
  const xFit = standardized(train.data, train.dim, fitRows, stats);
  const xVal = standardized(train.data, train.dim, valRows, stats);
  const xTest = standardized(
    test.data,
    test.dim,
    Array.from({ length: test.rows }, (_, i) => i),
    stats,
  );
  const yFit = tf.tidy(() =>
    tf.oneHot(
      tf.tensor1d(
        fitRows.map((r) => trainLabels[r]),
        'int32',
      ),
      numClasses,
    ),
  );
  const valLabels = valRows.map((r) => trainLabels[r]);
  let best = { acc: -1, wd: 0, epoch: 0, w: null as tf.Tensor2D | null, b: null as tf.Tensor1D | null };
  try {
    for (const wd of weightDecays) {
      let w = tf.zeros([train.dim, numClasses]) as tf.Tensor2D;
      let b = tf.zeros([numClasses]) as tf.Tensor1D;
      let vw = tf.zerosLike(w);
      let vb = tf.zerosLike(b);
      for (let epoch = 1; epoch <= epochs; epoch++) {
        const next = tf.tidy(() => {
          const p = tf.softmax(tf.add(tf.matMul(xFit, w), b));
          const diff = tf.div(tf.sub(p, yFit), fitRows.length);
          const gw = tf.add(tf.matMul(xFit, diff, true, false), tf.mul(w, wd));
          const gb = tf.sum(diff, 0);
          const nvw = tf.add(tf.mul(vw, momentum), gw);
          const nvb = tf.add(tf.mul(vb, momentum), gb);
          return { w: tf.sub(w, tf.mul(nvw, learningRate)), b: tf.sub(b, tf.mul(nvb, learningRate)), vw: nvw, vb: nvb };
        });
        tf.dispose([w, b, vw, vb]);
        ({ w, b, vw, vb } = next as { w: tf.Tensor2D; b: tf.Tensor1D; vw: tf.Tensor2D; vb: tf.Tensor1D });
        const logits = tf.tidy(() => tf.add(tf.matMul(xVal, w), b) as tf.Tensor2D);
        const acc = await topKAccuracy(logits, valLabels, 1).finally(() => logits.dispose());
        if (acc > best.acc) {
          if (best.w) tf.dispose([best.w, best.b as tf.Tensor]);
          best = { acc, wd, epoch, w: tf.clone(w), b: tf.clone(b) };
        }
      }
      tf.dispose([w, b, vw, vb]);
    }
    const score = async (x: tf.Tensor2D, labels: ArrayLike<number>) => {
      const logits = tf.tidy(() => tf.add(tf.matMul(x, best.w as tf.Tensor2D), best.b as tf.Tensor1D) as tf.Tensor2D);
      try {
        return { top1: await topKAccuracy(logits, labels, 1), top5: await topKAccuracy(logits, labels, 5) };
      } finally {
        logits.dispose();
      }
    };
    const splits: Record<string, { top1: number; top5: number }> = {};
    for (const [name, set] of Object.entries(options.alsoEvaluate ?? {})) {
      const x = standardized(
        set.features.data,
        set.features.dim,
        Array.from({ length: set.features.rows }, (_, i) => i),
        stats,
      );
      splits[name] = await score(x, set.labels).finally(() => x.dispose());
    }
    return { ...(await score(xTest, testLabels)), weightDecay: best.wd, epoch: best.epoch, valAccuracy: best.acc, splits };
  } finally {
    tf.dispose([xFit, xVal, xTest, yFit]);
    if (best.w) tf.dispose([best.w, best.b as tf.Tensor]);
  }
}
