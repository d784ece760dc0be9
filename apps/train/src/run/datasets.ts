import { classBalancedSubset, type ImageDataset, loadMnistFamily } from '@xclr/data';
import type { RunConfig } from '../config/schema.js';

export interface RunData {
  train: ImageDataset;
  test: ImageDataset;
  /** Training indices used (a class-balanced subset when data.fraction < 1). */
  trainIndices: Int32Array;
}

export function loadRunData(config: RunConfig): RunData {
  const { dataset, dataDir, fraction } = config.data;
  const train = loadMnistFamily(dataset, { split: 'train', dataDir });
  const test = loadMnistFamily(dataset, { split: 'test', dataDir });
  return { train, test, trainIndices: classBalancedSubset(train, fraction, config.seed) };
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
