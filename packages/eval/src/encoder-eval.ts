// The pure, browser-safe half of the evaluation protocol: evaluation rows, encoder features in
// batches, kNN + linear probe of a feature space, retrieval and the held-out kNN. The Node-only
// half (`evaluateEncoder`, with its cached raw-pixel baseline) is `@xclr/eval/protocol`.
import * as tf from '@tensorflow/tfjs-core';
import { type Features, features } from './features.js';
import { knnClassify } from './knn.js';
import { type LinearProbeResult, linearProbe } from './linear-probe.js';
import { type RetrievalResult, retrievalRecall } from './retrieval.js';

/**
 * The images the protocol reads: uint8 pixels, NHWC, row-major. `@xclr/data`'s `ImageDataset`
 * satisfies it; any object with these fields does.
 */
export interface EvalImages {
  /** Short name, used in error messages. */
  readonly name: string;
  /** Where the data came from (informational). */
  readonly source?: string;
  readonly size: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** All images, `size × height × width × channels` bytes. */
  readonly pixels: Uint8Array;
  /** Class index per image (required for kNN, the linear probe and class similarity). */
  readonly labels?: Int32Array;
  /** Class names, indexed by label: their count is the number of classes when given. */
  readonly classNames?: readonly string[];
  /** One caption per image (retrieval). */
  readonly captions?: readonly string[];
  /** More integer labels per image by name, e.g. colour and size (attribute probes). */
  readonly attributes?: Readonly<Record<string, Int32Array>>;
}

/**
 * The encoder under evaluation: float32 images `[n, H, W, C]` in [0, 1] → features `[n, d]`.
 * Called inside `tf.tidy`, so it may create intermediate tensors freely; put the model in
 * inference mode yourself (e.g. `(x) => model.embed(x, 'backbone')`).
 */
export type EmbedFn = (images: tf.Tensor4D) => tf.Tensor2D;

function pixelsPerImage(images: EvalImages): number {
  const n = images.height * images.width * images.channels;
  if (!(n > 0) || !Number.isInteger(n)) {
    throw new Error(
      `${images.name}: image shape ${images.height}×${images.width}×${images.channels} is not a positive integer shape`,
    );
  }
  if (images.pixels.length !== images.size * n) {
    throw new Error(
      `${images.name}: ${images.pixels.length} pixel bytes for ${images.size} images of ${images.height}×${images.width}×${images.channels}`,
    );
  }
  return n;
}

/** Pixels of `indices` as float rows in [0, 1] (the raw-pixel baseline's features). */
export function pixelRows(images: EvalImages, indices: ArrayLike<number>): Float32Array {
  const n = pixelsPerImage(images);
  const out = new Float32Array(indices.length * n);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= images.size)
      throw new RangeError(`${images.name}: image index ${i} is out of range [0, ${images.size})`);
    const base = i * n;
    for (let p = 0; p < n; p++) out[k * n + p] = images.pixels[base + p] / 255;
  }
  return out;
}

/**
 * The first `size` indices (0 = all) of a fixed, seed-independent spread over the dataset: an even
 * stride, so every class of an ordered dataset stays represented without a random draw.
 */
export function evalIndices(images: Pick<EvalImages, 'size'>, size: number): Int32Array {
  if (!Number.isInteger(size) || size < 0)
    throw new Error(`evalIndices: size must be a non-negative integer (0 = all), got ${size}`);
  const n = size > 0 ? Math.min(size, images.size) : images.size;
  return Int32Array.from({ length: n }, (_, i) => Math.floor((i * images.size) / n));
}

function maxOf(values: Int32Array): number {
  let m = 0;
  for (const v of values) m = Math.max(m, v);
  return m;
}

/** The labels of `indices`; a clear error when the dataset has none. */
export function labelsOf(images: EvalImages, indices: ArrayLike<number>): Int32Array {
  const labels = images.labels;
  if (!labels) throw new Error(`${images.name}: evaluation needs class labels, and ${images.name} has none`);
  if (labels.length !== images.size) throw new Error(`${images.name}: ${labels.length} labels for ${images.size} images`);
  return Int32Array.from(indices as ArrayLike<number>, (i) => labels[i]);
}

/**
 * The label kinds of `indices`: `object` (the class labels) and each of the images' `attributes`,
 * as attribute probes and per-attribute similarity read them.
 */
export function labelKindsOf(images: EvalImages, indices: ArrayLike<number>): Record<string, Int32Array> {
  const out: Record<string, Int32Array> = { object: labelsOf(images, indices) };
  for (const [name, values] of Object.entries(images.attributes ?? {})) {
    if (values.length !== images.size)
      throw new Error(`${images.name}: attribute "${name}" has ${values.length} values for ${images.size} images`);
    out[name] = Int32Array.from(indices as ArrayLike<number>, (i) => values[i]);
  }
  return out;
}

/**
 * Encoder features of `indices`, `batch` images at a time, each batch under `tf.tidy` (no tensor
 * outlives the call).
 */
export async function extractFeatures(
  embed: EmbedFn,
  images: EvalImages,
  indices: ArrayLike<number>,
  batch = 1000,
): Promise<Features> {
  if (indices.length === 0) throw new Error(`${images.name}: no images to embed`);
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`extractFeatures: batch must be a positive integer, got ${batch}`);
  const { height, width, channels } = images;
  const idx = Int32Array.from(indices);
  let dim = 0;
  let all: Float32Array | null = null;
  for (let start = 0; start < idx.length; start += batch) {
    const rows = Math.min(batch, idx.length - start);
    const pixels = pixelRows(images, idx.subarray(start, start + rows));
    const out = tf.tidy(() => {
      const y = embed(tf.tensor4d(pixels, [rows, height, width, channels]));
      const isTensor = typeof y === 'object' && y !== null && Array.isArray((y as tf.Tensor).shape);
      if (!isTensor || y.rank !== 2 || y.shape[0] !== rows) {
        const got = isTensor ? `shape [${y.shape}]` : String(y);
        throw new Error(`${images.name}: embed must return a [${rows}, d] tensor for ${rows} images, got ${got}`);
      }
      return y.dtype === 'float32' ? y : tf.cast(y, 'float32');
    });
    try {
      if (!all) {
        dim = out.shape[1];
        if (dim < 1) throw new Error(`${images.name}: embed returned 0-dimensional features`);
        all = new Float32Array(idx.length * dim);
      } else if (out.shape[1] !== dim) {
        throw new Error(`${images.name}: embed returned ${out.shape[1]}-d features after ${dim}-d ones`);
      }
      all.set((await out.data()) as Float32Array, start * dim);
    } finally {
      out.dispose();
    }
  }
  return features(all as Float32Array, dim, `${images.name} features`);
}

/** The kNN k quoted as the headline number: DINO's 20 when evaluated, else the first k. */
export function headlineK(ks: readonly number[]): number {
  if (ks.length === 0) throw new Error('headlineK: no k given');
  return ks.includes(20) ? 20 : ks[0];
}

/** Features of evaluation rows with their labels and the dataset indices they came from. */
export interface LabelledFeatures {
  f: Features;
  labels: Int32Array;
  idx: Int32Array;
}

export interface FeatureSets {
  train: LabelledFeatures;
  test: LabelledFeatures;
  extra: Record<string, LabelledFeatures>;
  numClasses: number;
}

export interface FeatureSetOptions {
  embed: EmbedFn;
  train: EvalImages;
  test: EvalImages;
  /** More labelled test sets, by name. */
  extraTests?: Record<string, EvalImages>;
  /** Training rows used as the kNN bank and probe training set (an even spread; 0 = all). Default 0. */
  trainSize?: number;
  /** Rows of each test set (an even spread; 0 = all). Default 0. */
  testSize?: number;
  /** Class count; default `train.classNames.length`, else the largest train label + 1. */
  numClasses?: number;
  /** Images per `embed` call. Default 1000. */
  batch?: number;
}

/** The evaluation rows, labels and numClasses of every split, checked; no features yet. */
export function evalRows(o: Omit<FeatureSetOptions, 'embed' | 'batch'>) {
  const all: [string, EvalImages, number][] = [
    ['train', o.train, o.trainSize ?? 0],
    ['test', o.test, o.testSize ?? 0],
    ...Object.entries(o.extraTests ?? {}).map(([name, d]): [string, EvalImages, number] => [name, d, o.testSize ?? 0]),
  ];
  const rows = all.map(([split, images, size]) => {
    pixelsPerImage(images);
    const idx = evalIndices(images, size);
    if (idx.length === 0) throw new Error(`${images.name}: the ${split} set has no images`);
    return { split, images, idx, labels: labelsOf(images, idx) };
  });
  const shape = (d: EvalImages) => `${d.height}×${d.width}×${d.channels}`;
  for (const r of rows) {
    if (shape(r.images) !== shape(o.train))
      throw new Error(`${r.images.name}: images are ${shape(r.images)}, ${o.train.name}'s are ${shape(o.train)}`);
  }
  const numClasses = o.numClasses ?? o.train.classNames?.length ?? maxOf(rows[0].labels) + 1;
  for (const r of rows) {
    const bad = r.labels.find((l) => !(l >= 0 && l < numClasses));
    if (bad !== undefined)
      throw new Error(`${r.images.name}: label ${bad} is outside the ${numClasses} classes [0, ${numClasses})`);
  }
  return { rows, numClasses };
}

/** The encoder's features of the evaluation rows of train, test and every extra test split. */
export async function evalFeatureSets(o: FeatureSetOptions): Promise<FeatureSets> {
  const { rows, numClasses } = evalRows(o);
  const sets: LabelledFeatures[] = [];
  for (const r of rows) sets.push({ f: await extractFeatures(o.embed, r.images, r.idx, o.batch), labels: r.labels, idx: r.idx });
  return {
    train: sets[0],
    test: sets[1],
    extra: Object.fromEntries(rows.slice(2).map((r, i) => [r.split, sets[i + 2]])),
    numClasses,
  };
}

export interface FeatureScores {
  /** kNN top-1 per k on the test set. */
  knn: Record<number, number>;
  /** The linear probe on the test set (weight decay and step chosen on held-out training rows). */
  linear: LinearProbeResult;
  /** Each extra split: kNN top-1 at the headline k and the same probe's top-1. */
  splits: Record<string, { knnTop1: number; linearTop1: number }>;
}

/** kNN top-1 at every k on the test set and each extra split, against the same training bank. */
export async function knnBySplit(
  sets: Pick<FeatureSets, 'train' | 'test' | 'extra' | 'numClasses'>,
  ks: readonly number[],
): Promise<Record<string, Record<number, number>>> {
  const { train, numClasses } = sets;
  const out: Record<string, Record<number, number>> = {};
  for (const [name, s] of Object.entries({ test: sets.test, ...sets.extra }))
    out[name] = (await knnClassify(train.f, train.labels, s.f, s.labels, { ks: [...ks], numClasses })).accuracy;
  return out;
}

/** The linear probe of the test set, the extra splits scored with the same selected probe. */
export function linearBySplit(sets: Pick<FeatureSets, 'train' | 'test' | 'extra' | 'numClasses'>, epochs = 100) {
  const { train, test, extra, numClasses } = sets;
  return linearProbe(train.f, train.labels, test.f, test.labels, {
    epochs,
    numClasses,
    alsoEvaluate: Object.fromEntries(Object.entries(extra).map(([name, e]) => [name, { features: e.f, labels: e.labels }])),
  });
}

/** kNN at every k and a linear probe of one feature space, the extra splits scored with the same bank and probe. */
export async function scoreFeatureSets(
  sets: Pick<FeatureSets, 'train' | 'test' | 'extra' | 'numClasses'>,
  o: { knnK?: readonly number[]; linearEpochs?: number } = {},
): Promise<FeatureScores> {
  const ks = [...(o.knnK ?? [1, 10, 20, 200])];
  const { train, test, extra, numClasses } = sets;
  const knn = await knnClassify(train.f, train.labels, test.f, test.labels, { ks, numClasses });
  const linear = await linearBySplit(sets, o.linearEpochs);
  const k = headlineK(ks);
  const splits: FeatureScores['splits'] = {};
  for (const [name, e] of Object.entries(extra)) {
    const knnTop1 = (await knnClassify(train.f, train.labels, e.f, e.labels, { ks: [k], numClasses })).accuracy[k];
    splits[name] = { knnTop1, linearTop1: linear.splits[name].top1 };
  }
  return { knn: knn.accuracy, linear, splits };
}

export interface RetrievalInputs {
  /** The image tower for retrieval (e.g. `(x) => model.embed(x, 'head')`). */
  embedImages: EmbedFn;
  /** The text tower: the captions of the evaluated rows (and their `rows`, when given) → `[n, d]`. */
  embedText: (captions: readonly string[], rows: Float32Array | null) => tf.Tensor2D;
  /** One caption per image of the test set. Default: the test set's `captions`. */
  captions?: readonly string[];
  /** Frozen caption embeddings, one row per test image (LiT-style towers), or null. */
  rows?: Float32Array | null;
  /** Images per `embedImages` call. Default 1000. */
  batch?: number;
}

/** Image ↔ caption recall@1/5/10 on the test rows `indices`: the image tower's outputs against the text tower's. */
export async function retrievalScores(
  test: EvalImages,
  indices: ArrayLike<number>,
  r: RetrievalInputs,
): Promise<RetrievalResult> {
  const captions = r.captions ?? test.captions;
  if (!captions) throw new Error(`${test.name}: retrieval needs one caption per image, and ${test.name} has none`);
  if (captions.length !== test.size) throw new Error(`${test.name}: ${captions.length} captions for ${test.size} images`);
  const pick = Array.from(indices);
  const source = r.rows ?? null;
  let rows: Float32Array | null = null;
  if (source) {
    const dim = source.length / captions.length;
    if (!Number.isInteger(dim) || dim < 1)
      throw new Error(`${test.name}: ${source.length} caption-embedding values are not rows for ${captions.length} captions`);
    const picked = new Float32Array(pick.length * dim);
    for (const [k, i] of pick.entries()) picked.set(source.subarray(i * dim, (i + 1) * dim), k * dim);
    rows = picked;
  }
  const text = tf.tidy(() =>
    r.embedText(
      pick.map((i) => captions[i]),
      rows,
    ),
  );
  let textRows: Features;
  try {
    if (text.rank !== 2 || text.shape[0] !== pick.length)
      throw new Error(`${test.name}: embedText must return a [${pick.length}, d] tensor, got shape [${text.shape}]`);
    textRows = features(Float32Array.from(await text.data()), text.shape[1], `${test.name} caption features`);
  } finally {
    text.dispose();
  }
  return retrievalRecall(await extractFeatures(r.embedImages, test, pick, r.batch), textRows);
}

export interface HeldOutKnnOptions {
  /** Training images in the kNN bank (an even spread). Default 5000. */
  bank?: number;
  /** Query images (at most half the dataset), each next to an even-spread index, never in the bank. Default 1000. */
  queries?: number;
  /** Neighbours. Default 20. */
  k?: number;
  /** Default `train.classNames.length`, else the largest label + 1. */
  numClasses?: number;
  /** Images per `embed` call. Default 1000. */
  batch?: number;
}

/**
 * A small kNN on training images only, to pick a "best" checkpoint without touching the test set:
 * a bank of `bank` evenly spread images and `queries` images next to another even spread, every
 * query left out of the bank. Returns top-1 accuracy at `k`. The even strides alias with data
 * stored in a short class cycle (e.g. labels `i % 2`): shuffle such data (a bank of a single class
 * is an error).
 */
export async function heldOutKnn(embed: EmbedFn, train: EvalImages, o: HeldOutKnnOptions = {}): Promise<number> {
  const { bank = 5000, queries = 1000, k = 20, batch } = o;
  if (!Number.isInteger(bank) || bank < 1 || !Number.isInteger(queries) || queries < 1) {
    throw new Error(`heldOutKnn: bank and queries must be positive integers, got ${bank} and ${queries}`);
  }
  pixelsPerImage(train);
  // At most half the images are queries, so a small dataset keeps a bank.
  const queryCount = Math.max(1, Math.min(queries, Math.floor(train.size / 2)));
  const queryIdx = Int32Array.from(new Set(Array.from(evalIndices(train, queryCount), (i) => Math.min(train.size - 1, i + 1))));
  const asked = new Set(queryIdx);
  const bankIdx = evalIndices(train, bank).filter((i) => !asked.has(i));
  if (bankIdx.length === 0)
    throw new Error(`${train.name}: ${train.size} images leave none for the held-out kNN bank after ${queryIdx.length} queries`);
  const bankLabels = labelsOf(train, bankIdx);
  const queryLabels = labelsOf(train, queryIdx);
  const inBank = new Set(bankLabels);
  if (inBank.size === 1 && queryLabels.some((l) => !inBank.has(l))) {
    throw new Error(
      `${train.name}: every held-out kNN bank image has class ${bankLabels[0]}, so the queries of other classes cannot be matched; the dataset's order aliases with the even-stride spread (shuffle it)`,
    );
  }
  const numClasses = o.numClasses ?? train.classNames?.length ?? Math.max(maxOf(bankLabels), maxOf(queryLabels)) + 1;
  const b = await extractFeatures(embed, train, bankIdx, batch);
  const q = await extractFeatures(embed, train, queryIdx, batch);
  return (await knnClassify(b, bankLabels, q, queryLabels, { ks: [k], numClasses })).accuracy[k];
}
