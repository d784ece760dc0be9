import fs from 'node:fs';
import path from 'node:path';
import {
  type CaptionedReadReport,
  classBalancedSubset,
  defaultCacheDir,
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DESCRIPTIONS,
  type ImageDataset,
  loadMnistFamily,
  readCaptionManifest,
  readWebDataset,
} from '@xclr/data';
import type { RunConfig } from '../config/schema.js';
import { SYNTH_TEST_SPLITS, writeSynthSplits } from '../commands/data-synth.js';

export interface RunData {
  train: ImageDataset;
  test: ImageDataset;
  /** More labelled test sets evaluated with the same probe (the synthetic set's background shifts). */
  extraTests: Record<string, ImageDataset>;
  /** Training indices used (a class-balanced subset when data.fraction < 1). */
  trainIndices: Int32Array;
  /** Samples skipped while reading captioned data, per split. */
  skipped: Record<string, CaptionedReadReport['skipped']>;
}

export const DEFAULT_SYNTH = { train: 20000, test: 2000, seed: 0 };

function shardsIn(dir: string): string[] {
  if (!fs.existsSync(dir)) throw new Error(`${dir}: folder of WebDataset shards not found`);
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.tar'))
    .sort()
    .map((f) => path.join(dir, f));
  if (!files.length) throw new Error(`${dir}: no .tar shards`);
  return files;
}

function manifestIn(dir: string, split: string): string {
  for (const ext of ['jsonl', 'csv']) {
    const file = path.join(dir, `${split}.${ext}`);
    if (fs.existsSync(file)) return file;
  }
  throw new Error(`${dir}: no ${split}.jsonl or ${split}.csv manifest`);
}

/** Where the synthetic set of a config lives, generated there on first use. */
export async function synthDir(config: RunConfig, log: (line: string) => void): Promise<string> {
  const s = config.data.synth ?? DEFAULT_SYNTH;
  const dir = config.data.path ?? path.join(defaultCacheDir(), `synth-v1-train${s.train}-test${s.test}-seed${s.seed}`);
  if (!fs.existsSync(path.join(dir, 'complete'))) {
    log(`data: generating the synthetic captioned set into ${dir} (once)`);
    await writeSynthSplits({ out: dir, trainCount: s.train, testCount: s.test, seed: s.seed, shardSize: 1000, log });
    fs.writeFileSync(path.join(dir, 'complete'), `${new Date().toISOString()}\n`);
  }
  return dir;
}

async function captioned(config: RunConfig, log: (line: string) => void) {
  const size = config.data.imageSize ?? 32;
  const skipped: RunData['skipped'] = {};
  const read = async (split: string, dir: string, classNames?: string[]) => {
    const { dataset, report } =
      config.data.dataset === 'manifest'
        ? await readCaptionManifest(manifestIn(dir, split), { size, labelField: 'label', name: split })
        : await readWebDataset(shardsIn(path.join(dir, split)), { size, classNames, name: `${config.data.dataset}/${split}` });
    if (report.skipped.length) {
      skipped[split] = report.skipped;
      log(
        `data: ${split}: skipped ${report.skipped.length} samples (first: ${report.skipped[0].key}: ${report.skipped[0].reason})`,
      );
    }
    if (!dataset.labels)
      throw new Error(
        `${dataset.source}: samples carry no integer "label"; evaluation (kNN, linear probe) needs labelled test data`,
      );
    return dataset;
  };
  if (config.data.dataset === 'synth') {
    const dir = await synthDir(config, log);
    const classes = [...FASHION_MNIST_CLASSES];
    const withDescriptions = (d: ImageDataset): ImageDataset => ({
      ...d,
      classNames: classes,
      classDescriptions: FASHION_MNIST_DESCRIPTIONS,
    });
    const train = withDescriptions(await read('train', dir, classes));
    const test = withDescriptions(await read('original', dir, classes));
    const extraTests: Record<string, ImageDataset> = {};
    for (const split of SYNTH_TEST_SPLITS)
      if (split !== 'original') extraTests[split] = withDescriptions(await read(split, dir, classes));
    return { train, test, extraTests, skipped };
  }
  if (!config.data.path) throw new Error(`data.path: a ${config.data.dataset} dataset needs the folder that holds it`);
  return { train: await read('train', config.data.path), test: await read('test', config.data.path), extraTests: {}, skipped };
}

export async function loadRunData(config: RunConfig, log: (line: string) => void = () => {}): Promise<RunData> {
  const { dataset, dataDir, fraction } = config.data;
  if (dataset === 'fashion-mnist' || dataset === 'mnist') {
    const train = loadMnistFamily(dataset, { split: 'train', dataDir });
    const test = loadMnistFamily(dataset, { split: 'test', dataDir });
    return { train, test, extraTests: {}, skipped: {}, trainIndices: classBalancedSubset(train, fraction, config.seed) };
  }
  const data = await captioned(config, log);
  return { ...data, trainIndices: classBalancedSubset(data.train, fraction, config.seed) };
}

/** Pixels of `indices` as float rows in [0, 1] (the raw-input baseline's features). */
export function pixelRows(dataset: ImageDataset, indices: ArrayLike<number>): Float32Array {
  const n = dataset.height * dataset.width * dataset.channels;
  const out = new Float32Array(indices.length * n);
  for (let k = 0; k < indices.length; k++) {
    const base = indices[k] * n;
    for (let p = 0; p < n; p++) out[k * n + p] = dataset.pixels[base + p] / 255;
  }
  return out;
}

/** The first `size` indices (0 = all) of a fixed, seed-independent spread over the dataset. */
export function evalIndices(dataset: ImageDataset, size: number): Int32Array {
  const n = size > 0 ? Math.min(size, dataset.size) : dataset.size;
  // An even stride keeps every class represented without a random draw.
  return Int32Array.from({ length: n }, (_, i) => Math.floor((i * dataset.size) / n));
}
