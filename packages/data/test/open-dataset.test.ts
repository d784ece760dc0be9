import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  classBalancedSubset,
  DATASET_NAMES,
  type DatasetName,
  defaultCacheDir,
  disposeBatch,
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DESCRIPTIONS,
  generateSynthetic,
  type ImageDataset,
  loadMnistFamily,
  NO_AUGMENT,
  openDataset,
  readTar,
  SYNTH_TEST_SPLITS,
  TAR_END,
  tarEntry,
  writeWebDataset,
} from '../src/index.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-open-'));
/** This file's cache: the generated synthetic sets and decoded Fashion-MNIST (the synthetic set's objects). */
const cacheDir = path.join(root, 'cache');
const tiny = { train: 60, test: 20, seed: 0 };
let n = 0;
const fresh = (name: string) => path.join(root, `${name}-${n++}`);

beforeAll(() => {
  // Decoded once into the shared cache (as the other tests do), then copied into this file's cache.
  fs.mkdirSync(cacheDir, { recursive: true });
  for (const split of ['train', 'test'] as const) {
    loadMnistFamily('fashion-mnist', { split });
    for (const f of fs.readdirSync(defaultCacheDir())) {
      if (f.startsWith(`fashion-mnist-${split}-`) && f.endsWith('.bin'))
        fs.copyFileSync(path.join(defaultCacheDir(), f), path.join(cacheDir, f));
    }
  }
}, 300_000); // decodes Fashion-MNIST on an empty cache: minutes on a loaded 2-core machine
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** A tiny labelled 28×28 object source for generateSynthetic, without Fashion-MNIST. */
function fakeObjects(count: number): ImageDataset {
  const pixels = new Uint8Array(count * 784);
  for (let i = 0; i < count; i++) pixels.fill(40 + 20 * (i % 10), i * 784 + 200, i * 784 + 500);
  return {
    name: 'fake',
    size: count,
    height: 28,
    width: 28,
    channels: 1,
    pixels,
    labels: Int32Array.from({ length: count }, (_, i) => i % 10),
    classNames: [...FASHION_MNIST_CLASSES],
    source: 'test',
  };
}

function lines() {
  const logged: string[] = [];
  return { logged, log: (l: string) => logged.push(l) };
}

describe('openDataset: synth', () => {
  it('generates the set into the cache once, under synth-v1-train<N>-test<M>-seed<S>, and reopens it without regenerating', async () => {
    const first = lines();
    const a = await openDataset({ dataset: 'synth', synth: tiny }, { cacheDir, log: first.log });
    const dir = path.join(cacheDir, 'synth-v1-train60-test20-seed0');
    expect(fs.readFileSync(path.join(dir, 'complete'), 'utf8')).toMatch(/^\d{4}-\d\d-\d\dT.*Z\n$/);
    expect(first.logged).toEqual([
      `data: generating the synthetic captioned set into ${dir} (once)`,
      `train: 60 samples (32×32) in 1 shards under ${path.join(dir, 'train')}`,
      ...SYNTH_TEST_SPLITS.map((s) => `${s}: 20 samples (32×32) in 1 shards under ${path.join(dir, s)}`),
    ]);
    expect([a.train.name, a.train.size, a.test.name, a.test.size]).toEqual(['synth/train', 60, 'synth/original', 20]);
    expect(Object.keys(a.extraTests)).toEqual(['only-fg', 'mixed-same', 'mixed-rand']);
    for (const d of Object.values(a.extraTests)) expect(d.size).toBe(20);
    expect(a.extraTests['only-fg'].captions!.every((c) => c.endsWith('on a black background'))).toBe(true);
    expect(a.test.classNames).toEqual([...FASHION_MNIST_CLASSES]);
    expect(a.train.classDescriptions).toEqual(FASHION_MNIST_DESCRIPTIONS);
    expect([a.train.height, a.train.channels]).toEqual([32, 3]);
    expect(Array.from(a.trainIndices)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(a.skipped).toEqual({});

    const shard = path.join(dir, 'train', 'train-00000.tar');
    const mtime = fs.statSync(shard).mtimeMs;
    const again = lines();
    const b = await openDataset({ dataset: 'synth', synth: tiny }, { cacheDir, log: again.log });
    expect(again.logged).toEqual([]);
    expect(fs.statSync(shard).mtimeMs).toBe(mtime);
    expect(Buffer.from(b.train.pixels).equals(Buffer.from(a.train.pixels))).toBe(true);
    expect(b.test.captions).toEqual(a.test.captions);
  });

  it('regenerates a folder without the complete marker, dropping shards an interrupted run left', async () => {
    const dir = fresh('synth');
    const reference = await openDataset({ dataset: 'synth', synth: tiny, path: dir }, { cacheDir });
    fs.rmSync(path.join(dir, 'complete'));
    // What a killed generation of a larger set could leave behind: an extra shard, a damaged one.
    fs.copyFileSync(path.join(dir, 'train', 'train-00000.tar'), path.join(dir, 'train', 'train-00001.tar'));
    fs.writeFileSync(path.join(dir, 'mixed-rand', 'mixed-rand-00000.tar'), 'cut short');
    const { logged, log } = lines();
    const again = await openDataset({ dataset: 'synth', synth: tiny, path: dir }, { cacheDir, log });
    expect(logged[0]).toBe(`data: generating the synthetic captioned set into ${dir} (once)`);
    expect(fs.existsSync(path.join(dir, 'complete'))).toBe(true);
    expect(fs.readdirSync(path.join(dir, 'train'))).toEqual(['train-00000.tar']);
    expect(again.train.size).toBe(60);
    expect(again.extraTests['mixed-rand'].captions).toEqual(reference.extraTests['mixed-rand'].captions);
  });

  it('writes the marker only once every split is written: a generation that fails part-way leaves none', async () => {
    const dir = fresh('synth');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'mixed-rand'), 'a file where the last split folder goes');
    const { logged, log } = lines();
    await expect(openDataset({ dataset: 'synth', synth: tiny, path: dir }, { cacheDir, log })).rejects.toThrow(/EEXIST|ENOTDIR/);
    expect(logged.at(-1)).toBe(`mixed-same: 20 samples (32×32) in 1 shards under ${path.join(dir, 'mixed-same')}`);
    expect(fs.existsSync(path.join(dir, 'complete'))).toBe(false);
  });

  it('trainSplit / testSplit pick the splits; the other synthetic test splits become extraTests', async () => {
    const all = await openDataset({ dataset: 'synth', synth: tiny }, { cacheDir });
    const rand = await openDataset({ dataset: 'synth', synth: tiny, testSplit: 'mixed-rand' }, { cacheDir });
    expect(rand.test.name).toBe('synth/mixed-rand');
    expect(rand.test.captions).toEqual(all.extraTests['mixed-rand'].captions);
    expect(Buffer.from(rand.test.pixels).equals(Buffer.from(all.extraTests['mixed-rand'].pixels))).toBe(true);
    expect(Object.keys(rand.extraTests)).toEqual(['original', 'only-fg', 'mixed-same']);
    expect(rand.extraTests.original.captions).toEqual(all.test.captions);

    const swapped = await openDataset(
      { dataset: 'synth', synth: tiny, trainSplit: 'original', testSplit: 'only-fg' },
      { cacheDir },
    );
    expect([swapped.train.name, swapped.train.size, swapped.test.name]).toEqual(['synth/original', 20, 'synth/only-fg']);
    expect(Object.keys(swapped.extraTests)).toEqual(['mixed-same', 'mixed-rand']);
    expect(swapped.trainIndices).toHaveLength(20);
  });

  it('fraction < 1 gives a class-balanced subset of the training split, drawn with seed', async () => {
    const spec = { dataset: 'synth', synth: tiny, fraction: 0.5 } as const;
    const a = await openDataset(spec, { cacheDir, seed: 1 });
    const counts = (idx: ArrayLike<number>) => {
      const c = new Map<number, number>();
      for (const i of Array.from(idx)) c.set(a.train.labels![i], (c.get(a.train.labels![i]) ?? 0) + 1);
      return c;
    };
    const total = counts(Array.from({ length: a.train.size }, (_, i) => i));
    const chosen = counts(a.trainIndices);
    expect([...chosen.keys()].sort()).toEqual([...total.keys()].sort());
    for (const [label, k] of total) expect(chosen.get(label)).toBe(Math.max(1, Math.round(k * 0.5)));
    expect(Array.from(a.trainIndices)).toEqual(Array.from(classBalancedSubset(a.train, 0.5, 1)));
    const b = await openDataset(spec, { cacheDir, seed: 2 });
    expect(Array.from(b.trainIndices)).not.toEqual(Array.from(a.trainIndices));
  });
});

describe('openDataset: webdataset and manifest folders', () => {
  it('reads webdataset split folders; skipped samples are logged and reported; imageSize resizes', async () => {
    const dir = fresh('wds');
    const objects = fakeObjects(30);
    await writeWebDataset(generateSynthetic(objects, 30, 1, 'train'), path.join(dir, 'train'), 'train', 8);
    const heldOut = generateSynthetic(objects, 10, 2, 'original');
    const [shard] = await writeWebDataset(heldOut, path.join(dir, 'val'), 'val', 100);
    const body = fs.readFileSync(shard).subarray(0, fs.statSync(shard).size - TAR_END.length);
    fs.writeFileSync(
      shard,
      Buffer.concat([body, tarEntry('bad.png', Buffer.from('not a png')), tarEntry('bad.txt', Buffer.from('x')), TAR_END]),
    );
    const { logged, log } = lines();
    const d = await openDataset(
      { dataset: 'webdataset', path: dir, imageSize: 16, testSplit: 'val', fraction: 0.5, stream: false },
      { log, seed: 3 },
    );
    expect([d.train.name, d.train.size, d.test.name, d.test.size]).toEqual(['webdataset/train', 30, 'webdataset/val', 10]);
    expect([d.train.height, d.train.width, d.train.channels]).toEqual([16, 16, 3]);
    expect(d.test.captions).toEqual(heldOut.map((s) => s.caption));
    expect(Array.from(d.test.labels!)).toEqual(heldOut.map((s) => s.label));
    expect(d.extraTests).toEqual({});
    expect(d.skipped).toEqual({ val: [{ key: 'bad', reason: expect.stringMatching(/^corrupt image/) }] });
    expect(logged).toEqual([expect.stringMatching(/^data: val: skipped 1 samples \(first: bad: corrupt image/)]);
    expect(Array.from(d.trainIndices)).toEqual(Array.from(classBalancedSubset(d.train, 0.5, 3)));
    expect(d.trainIndices.length).toBeLessThan(25);
  });

  it('reads JSONL and CSV manifests named after their splits', async () => {
    const dir = fresh('manifest');
    fs.mkdirSync(path.join(dir, 'images'), { recursive: true });
    const colours = [
      [200, 20, 20],
      [20, 200, 20],
      [20, 20, 200],
    ];
    for (const [i, [r, g, b]] of colours.entries()) {
      await sharp({ create: { width: 20, height: 20, channels: 3, background: { r, g, b } } })
        .png()
        .toFile(path.join(dir, 'images', `c${i}.png`));
    }
    const rows = colours.map((_, i) => JSON.stringify({ image: `images/c${i}.png`, caption: `colour ${i}`, label: i }));
    fs.writeFileSync(path.join(dir, 'train.jsonl'), `${rows.join('\n')}\n`);
    fs.writeFileSync(path.join(dir, 'test.csv'), 'image,caption,label\nimages/c2.png,"blue, last",2\nimages/c0.png,red,0\n');
    const d = await openDataset({ dataset: 'manifest', path: dir, imageSize: 8, stream: false });
    expect([d.train.name, d.train.size, d.test.name, d.test.size]).toEqual(['train', 3, 'test', 2]);
    expect(d.test.captions).toEqual(['blue, last', 'red']);
    expect(Array.from(d.test.labels!)).toEqual([2, 0]);
    expect(Array.from(d.train.pixels.subarray(0, 3))).toEqual([200, 20, 20]);
    expect(d.train.height).toBe(8);
    const swapped = await openDataset({ dataset: 'manifest', path: dir, trainSplit: 'test', testSplit: 'train', stream: false });
    expect([swapped.train.size, swapped.test.size]).toEqual([2, 3]);
    // Streamed (the default): the samples are listed, the images read while training.
    const s = await openDataset({ dataset: 'manifest', path: dir, imageSize: 8 });
    expect([s.streamed!.size, s.streamed!.captions, Array.from(s.streamed!.labels!)]).toEqual([
      3,
      ['colour 0', 'colour 1', 'colour 2'],
      [0, 1, 2],
    ]);
    const stream = await s.streamed!.open({ batchSize: 3, seed: 0, augment: NO_AUGMENT });
    for await (const batch of stream.epoch(0)) {
      expect([...batch.indices].sort()).toEqual([0, 1, 2]);
      expect(batch.images.shape).toEqual([3, 8, 8, 3]);
      disposeBatch(batch);
    }
  });
});

describe('openDataset: streamed webdataset and manifest training splits', () => {
  it('lists the samples, decodes a sample for evaluation, and opens a stream whose batches follow the stable numbers', async () => {
    const dir = fresh('wds-stream');
    const objects = fakeObjects(40);
    const train = generateSynthetic(objects, 40, 1, 'train');
    await writeWebDataset(train, path.join(dir, 'train'), 'train', 8);
    await writeWebDataset(generateSynthetic(objects, 10, 2, 'original'), path.join(dir, 'test'), 'test', 100);
    const { logged, log } = lines();
    const d = await openDataset({ dataset: 'webdataset', path: dir, imageSize: 16 }, { log, seed: 3, trainSample: 12 });
    const streamed = d.streamed!;
    expect([streamed.size, streamed.index.units.length]).toEqual([40, 5]);
    expect(streamed.captions).toEqual(train.map((s) => s.caption));
    expect(Array.from(streamed.labels!)).toEqual(train.map((s) => s.label));
    expect(d.numClasses).toBe(Math.max(...train.map((s) => s.label)) + 1);
    expect(Array.from(d.trainIndices)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    // The evaluation sample: 12 decoded images whose labels, captions and keys are those of their samples.
    expect([d.train.size, d.train.height, d.train.channels]).toEqual([12, 16, 3]);
    for (let k = 0; k < 12; k++) {
      const i = streamed.ids.indexOf(d.train.ids![k]);
      expect([d.train.captions![k], d.train.labels![k]]).toEqual([streamed.captions[i], streamed.labels![i]]);
    }
    expect(new Set(d.train.ids).size).toBe(12);
    expect(logged).toEqual([
      expect.stringMatching(/^data: webdataset\/train: 40 samples in 5 files, indexed in [\d.]+ s \(streamed while training\)$/),
    ]);
    const stream = await streamed.open({ batchSize: 8, seed: 0, augment: NO_AUGMENT });
    expect(stream.stepsPerEpoch).toBe(5);
    for await (const batch of stream.epoch(0)) {
      for (let k = 0; k < batch.indices.length; k++) {
        expect(batch.captions![k]).toBe(streamed.captions[batch.indices[k]]);
        expect(batch.labels![k]).toBe(streamed.labels![batch.indices[k]]);
      }
      disposeBatch(batch);
    }
    await expect(openDataset({ dataset: 'webdataset', path: dir, fraction: 0.5 })).rejects.toThrow(
      'fraction: a streamed webdataset split trains on all its samples (got 0.5); set stream: false to train on a class-balanced fraction in memory',
    );
  });
});

describe('openDataset: fashion-mnist', () => {
  it('opens both splits, a fraction of the training one, and testSplit: train', async () => {
    const d = await openDataset({ dataset: 'fashion-mnist', fraction: 0.01 }, { cacheDir, seed: 0 });
    expect([d.train.name, d.test.name]).toEqual(['fashion-mnist/train', 'fashion-mnist/test']);
    expect(d.train.size).toBeGreaterThan(d.test.size * 5);
    expect(d.trainIndices.length).toBeGreaterThan(d.train.size * 0.0095);
    expect(d.trainIndices.length).toBeLessThan(d.train.size * 0.0105);
    expect(d).toMatchObject({ extraTests: {}, skipped: {} });
    const t = await openDataset({ dataset: 'fashion-mnist', testSplit: 'train' }, { cacheDir });
    expect(t.test.name).toBe('fashion-mnist/train');
  }, 300_000);
});

describe('openDataset: errors', () => {
  it('an unknown dataset lists the valid names', async () => {
    await expect(openDataset({ dataset: 'cifar10' as DatasetName })).rejects.toThrow(
      'dataset: unknown dataset "cifar10"; expected one of fashion-mnist, mnist, synth, webdataset, manifest',
    );
    expect(DATASET_NAMES).toEqual(['fashion-mnist', 'mnist', 'synth', 'webdataset', 'manifest']);
  });

  it('webdataset and manifest without path say which field is missing', async () => {
    await expect(openDataset({ dataset: 'webdataset' })).rejects.toThrow(
      'path: a webdataset dataset needs the folder that holds it (one folder of .tar shards per split (train/, test/))',
    );
    await expect(openDataset({ dataset: 'manifest' })).rejects.toThrow(
      'path: a manifest dataset needs the folder that holds it (train.jsonl|csv and test.jsonl|csv next to the images)',
    );
  });

  it('a missing split folder or manifest names the expected paths', async () => {
    const dir = fresh('missing');
    fs.mkdirSync(path.join(dir, 'train'), { recursive: true });
    await expect(openDataset({ dataset: 'webdataset', path: dir })).rejects.toThrow(
      `${path.join(dir, 'train')}: no .tar shards for split "train"`,
    );
    await expect(openDataset({ dataset: 'webdataset', path: dir, trainSplit: 'val' })).rejects.toThrow(
      `${path.join(dir, 'val')}: folder of WebDataset shards for split "val" not found`,
    );
    await expect(openDataset({ dataset: 'manifest', path: dir })).rejects.toThrow(
      `no manifest for split "train": expected ${path.join(dir, 'train.jsonl')} or ${path.join(dir, 'train.csv')}`,
    );
  });

  it('unknown splits of the synthetic set and of Fashion-MNIST list the valid ones, before any work', async () => {
    const dir = fresh('never');
    await expect(openDataset({ dataset: 'synth', path: dir, testSplit: 'mixed' }, { cacheDir })).rejects.toThrow(
      'testSplit: the synthetic set has the splits train, original, only-fg, mixed-same, mixed-rand; got "mixed"',
    );
    expect(fs.existsSync(dir)).toBe(false);
    await expect(openDataset({ dataset: 'mnist', trainSplit: 'val' }, { cacheDir })).rejects.toThrow(
      'trainSplit: mnist has the splits train, test; got "val"',
    );
    await expect(openDataset({ dataset: 'synth', path: dir, fraction: 0 })).rejects.toThrow('fraction: must be in (0, 1], got 0');
  });

  it('captioned data without integer labels is an error naming its source', async () => {
    const dir = fresh('unlabelled');
    for (const split of ['train', 'test']) {
      const samples = generateSynthetic(fakeObjects(4), 4, 0, 'train');
      const [shard] = await writeWebDataset(samples, path.join(dir, split), split, 10);
      // Keep images and captions, drop the .json label files.
      const parts: Buffer[] = [];
      for await (const { name, data } of readTar(shard)) if (!name.endsWith('.json')) parts.push(tarEntry(name, data));
      fs.writeFileSync(shard, Buffer.concat([...parts, TAR_END]));
    }
    await expect(openDataset({ dataset: 'webdataset', path: dir })).rejects.toThrow(
      `webdataset:${path.join(dir, 'train', 'train-00000.tar')}: samples carry no integer "label"; evaluation (kNN, linear probe) needs labelled test data`,
    );
  });
});
