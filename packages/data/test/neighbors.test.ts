import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Batch,
  type CaptionStream,
  ContrastiveLoader,
  disposeBatch,
  type ImageDataset,
  indexWebDataset,
  type NeighborBatches,
  NO_AUGMENT,
  type StreamOptions,
  simclrAugment,
  streamCaptionManifest,
  streamWebDataset,
  TAR_END,
  tarEntry,
} from '../src/index.js';

type Graph = NeighborBatches['graph'];

/** A graph of `n` rows whose row i lists `list(i)` (padded with -1 to k). */
function graphOf(n: number, k: number, list: (i: number) => number[]): Graph {
  const neighbors = new Int32Array(n * k).fill(-1);
  for (let i = 0; i < n; i++) neighbors.set(list(i).slice(0, k), i * k);
  return { neighbors, k };
}

const listed = (graph: Graph, i: number) =>
  Array.from(graph.neighbors.subarray(i * graph.k, (i + 1) * graph.k)).filter((j) => j >= 0);

/**
 * Checks a neighbour batch: its first samples are `anchors`, then `m` others, no sample twice;
 * the others are listed neighbours of the anchors as far as the anchors have any left, taken for
 * the anchors in turn; and all are in `pool`.
 */
function expectNeighborBatch(indices: ArrayLike<number>, anchors: number[], m: number, graph: Graph, pool?: Set<number>) {
  const all = Array.from(indices);
  expect(all.slice(0, anchors.length)).toEqual(anchors);
  const extras = all.slice(anchors.length);
  expect(extras).toHaveLength(m);
  expect(new Set(all).size).toBe(all.length);
  if (pool) for (const j of all) expect(pool.has(j)).toBe(true);
  const inPool = (j: number) => !pool || pool.has(j);
  const available = new Set(anchors.flatMap((i) => listed(graph, i)).filter((j) => !anchors.includes(j) && inPool(j)));
  if (available.size >= m) for (const j of extras) expect(available.has(j)).toBe(true);
  else for (const j of available) expect(extras).toContain(j);
  // The anchors in turn: while each has a neighbour left, the t-th extra is one of anchor t's.
  for (let t = 0; t < Math.min(m, anchors.length); t++) {
    const taken = new Set([...anchors, ...extras.slice(0, t)]);
    const candidates = listed(graph, anchors[t]).filter((j) => !taken.has(j) && inPool(j));
    if (!candidates.length) break;
    expect(candidates).toContain(extras[t]);
  }
  return extras.filter((j) => available.has(j)).length;
}

function toyDataset(size: number): ImageDataset {
  return {
    name: 'toy',
    size,
    height: 4,
    width: 4,
    channels: 1,
    pixels: Uint8Array.from({ length: size * 16 }, (_, i) => (i * 37) % 256),
    labels: Int32Array.from({ length: size }, (_, i) => i % 5),
    captions: Array.from({ length: size }, (_, i) => `caption ${i}`),
    classNames: ['a', 'b', 'c', 'd', 'e'],
    source: 'test',
  };
}

async function loaderBatches(loader: ContrastiveLoader, epoch: number, fromStep = 0) {
  const out: { indices: number[]; anchors?: number; labels: number[]; captions: string[]; view: number[] }[] = [];
  for await (const b of loader.epoch(epoch, fromStep)) {
    out.push({
      indices: Array.from(b.indices),
      anchors: b.anchors,
      labels: Array.from(b.labels!),
      captions: b.captions!,
      view: Array.from(b.views[0].dataSync()),
    });
    disposeBatch(b);
  }
  return out;
}

describe('ContrastiveLoader with neighbors', () => {
  const N = 40;
  const ring = graphOf(N, 3, (i) => [(i + 1) % N, (i + 7) % N]);
  const make = (extra: Partial<ConstructorParameters<typeof ContrastiveLoader>[1]> = {}) =>
    new ContrastiveLoader(toyDataset(N), {
      batchSize: 8,
      seed: 3,
      augment: simclrAugment(1),
      neighbors: { graph: ring, count: 3 },
      ...extra,
    });

  it('each batch is B − m anchors in the epoch order and m listed neighbours of theirs; every sample is an anchor once', async () => {
    const loader = make();
    expect(loader.anchorsPerBatch).toBe(5);
    expect(loader.stepsPerEpoch).toBe(8); // 40 / 5, not 40 / 8
    const order = Array.from(loader.order(0));
    const before = tf.memory().numTensors;
    const batches = await loaderBatches(loader, 0);
    expect(tf.memory().numTensors).toBe(before);
    expect(batches).toHaveLength(8);
    let listedExtras = 0;
    batches.forEach((b, s) => {
      expect(b.anchors).toBe(5);
      listedExtras += expectNeighborBatch(b.indices, order.slice(5 * s, 5 * s + 5), 3, ring);
      expect(b.labels).toEqual(b.indices.map((i) => i % 5));
      expect(b.captions).toEqual(b.indices.map((i) => `caption ${i}`));
    });
    expect(listedExtras).toBe(8 * 3); // the ring always has enough
    // A neighbour drawn at random from the anchor's list: where both were free, sometimes the first, sometimes the second.
    const picks = batches.flatMap((b) =>
      [0, 1, 2]
        .filter((t) => listed(ring, b.indices[t]).every((j) => !b.indices.slice(0, 5 + t).includes(j)))
        .map((t) => listed(ring, b.indices[t]).indexOf(b.indices[5 + t])),
    );
    expect(picks.length).toBeGreaterThan(10);
    expect(picks).toContain(0);
    expect(picks).toContain(1);
    expect(batches.flatMap((b) => b.indices.slice(0, 5)).sort((a, b) => a - b)).toEqual(order.sort((a, b) => a - b));
  });

  it('is deterministic, and resuming at a step gives the batches of the uninterrupted epoch', async () => {
    const full = await loaderBatches(make(), 2);
    expect(await loaderBatches(make(), 2)).toEqual(full);
    expect(await loaderBatches(make(), 2, 5)).toEqual(full.slice(5));
    expect(await loaderBatches(make({ prefetch: 0 }), 2, 3)).toEqual(full.slice(3));
    const otherSeed = await loaderBatches(make({ seed: 4 }), 2);
    expect(otherSeed.map((b) => b.indices)).not.toEqual(full.map((b) => b.indices));
    // The neighbours depend on the step, not only on the anchors: other epochs draw others.
    expect((await loaderBatches(make(), 3)).map((b) => b.indices)).not.toEqual(full.map((b) => b.indices));
  });

  it('fills from other samples when the anchors have no neighbour left, and keeps to `indices`', async () => {
    // Only multiples of 10 list a neighbour, and -1 entries mean none.
    const sparse = graphOf(N, 2, (i) => (i % 10 === 0 ? [i + 1, -1] : [-1, -1]));
    const loader = make({ neighbors: { graph: sparse, count: 3 } });
    const order = Array.from(loader.order(1));
    const batches = await loaderBatches(loader, 1);
    batches.forEach((b, s) => {
      expectNeighborBatch(b.indices, order.slice(5 * s, 5 * s + 5), 3, sparse);
    });
    expect(await loaderBatches(make({ neighbors: { graph: sparse, count: 3 } }), 1)).toEqual(batches);
    // A subset: anchors and neighbours stay in it, though the graph lists others.
    const subset = Int32Array.from({ length: 30 }, (_, i) => i + 5);
    const sub = make({ indices: subset });
    expect(sub.stepsPerEpoch).toBe(6);
    const subOrder = Array.from(sub.order(0));
    const pool = new Set(subset);
    (await loaderBatches(sub, 0)).forEach((b, s) => {
      expectNeighborBatch(b.indices, subOrder.slice(5 * s, 5 * s + 5), 3, ring, pool);
    });
  });

  it('count 0 gives the plain batches; bad options are errors that say what is wrong', async () => {
    const plain = await loaderBatches(make({ neighbors: undefined }), 0);
    const zero = await loaderBatches(make({ neighbors: { graph: ring, count: 0 } }), 0);
    expect(zero.map(({ anchors, ...b }) => b)).toEqual(plain);
    expect(zero[0].anchors).toBe(8);
    expect(() => make({ neighbors: { graph: ring, count: 8 } })).toThrow(
      'ContrastiveLoader: neighbors.count must be an integer with 0 ≤ count < batchSize = 8, got 8',
    );
    expect(() => make({ neighbors: { graph: ring, count: -1 } })).toThrow(/got -1/);
    expect(() => make({ neighbors: { graph: graphOf(39, 3, () => []), count: 2 } })).toThrow(
      'ContrastiveLoader: neighbors.graph has 39 rows but the dataset has 40 samples; row i must list the neighbours of sample i',
    );
    expect(() => make({ neighbors: { graph: graphOf(N, 2, (i) => (i === 6 ? [1, 40] : [])), count: 2 } })).toThrow(
      'ContrastiveLoader: neighbors.graph row 6 lists sample 40, but the dataset has 40 samples',
    );
  });
});

// 3 shards of 20 solid-colour PNGs: sample g has key `s<shard>-<j>`, caption `sample <g>`, label g % 4.
const SHARDS = 3;
const PER_SHARD = 20;
const TOTAL = SHARDS * PER_SHARD;
const colour = (g: number) => [(7 * g) % 256, (3 * g) % 256, 255 - (g % 256)];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-neighbors-'));
let shards: string[];

const png = (g: number) => {
  const [r, green, b] = colour(g);
  return sharp({ create: { width: 6, height: 6, channels: 3, background: { r, g: green, b } } })
    .png()
    .toBuffer();
};

beforeAll(async () => {
  shards = [];
  for (let s = 0; s < SHARDS; s++) {
    const parts: Buffer[] = [];
    for (let j = 0; j < PER_SHARD; j++) {
      const g = s * PER_SHARD + j;
      parts.push(
        tarEntry(`s${s}-${j}.png`, await png(g)),
        tarEntry(`s${s}-${j}.txt`, Buffer.from(`sample ${g}`)),
        tarEntry(`s${s}-${j}.json`, Buffer.from(JSON.stringify({ label: g % 4 }))),
      );
    }
    const file = path.join(tmp, `shard-${s}.tar`);
    fs.writeFileSync(file, Buffer.concat([...parts, TAR_END]));
    shards.push(file);
  }
});

const streamGraph = graphOf(TOTAL, 3, (g) => [(g + 11) % TOTAL, (g + 29) % TOTAL, g % 2 ? -1 : (g + 1) % TOTAL]);
const streamOptions = (extra: Partial<StreamOptions> = {}): StreamOptions => ({
  batchSize: 8,
  seed: 5,
  augment: NO_AUGMENT,
  imageSize: 4,
  shuffleBuffer: 16,
  concurrency: 3,
  neighbors: { graph: streamGraph, count: 3 },
  ...extra,
});

type Seen = { step: number; indices: number[]; anchors?: number; keys: string[] };

async function streamBatches(
  stream: CaptionStream,
  epoch: number,
  fromStep = 0,
  check?: (b: Batch & { keys: string[] }) => Promise<void>,
) {
  const out: Seen[] = [];
  for await (const b of stream.epoch(epoch, fromStep)) {
    await check?.(b);
    out.push({ step: b.step, indices: Array.from(b.indices), anchors: b.anchors, keys: b.keys });
    disposeBatch(b);
  }
  return out;
}

async function anchorOrder(stream: CaptionStream, epoch: number): Promise<number[]> {
  const order: number[] = [];
  for await (const r of stream.order(epoch)) order.push(r.index);
  return order;
}

describe('streams with neighbors', () => {
  it('read each neighbour by index: its key, caption, label and pixels are its own; B − m anchors in order and m neighbours', async () => {
    const stream = await streamWebDataset(shards, streamOptions());
    expect(stream.anchorsPerBatch).toBe(5);
    expect(stream.stepsPerEpoch).toBe(12); // 60 / 5
    const order = await anchorOrder(stream, 0);
    const before = tf.memory().numTensors;
    const batches = await streamBatches(stream, 0, 0, async (b) => {
      const pixels = await b.images.data();
      b.indices.forEach((g, k) => {
        const shard = Math.floor(g / PER_SHARD);
        expect(b.keys[k]).toBe(`s${shard}-${g - shard * PER_SHARD}`);
        expect(b.captions![k]).toBe(`sample ${g}`);
        expect(b.labels![k]).toBe(g % 4);
        expect(Array.from(pixels.subarray(k * 48, k * 48 + 3), (p) => Math.round(p * 255))).toEqual(colour(g));
      });
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(batches).toHaveLength(12);
    batches.forEach((b, s) => {
      expect(b.anchors).toBe(5);
      expectNeighborBatch(b.indices, order.slice(5 * s, 5 * s + 5), 3, streamGraph);
    });
    expect(stream.stats.decoded).toBe(12 * 8);
    expect(stream.stats.maxImagesHeld).toBeLessThanOrEqual(3);
  });

  it('is deterministic and resumes exactly, decoding only the batches after the resumed step; a given index builds the table itself', async () => {
    const full = await streamBatches(await streamWebDataset(shards, streamOptions()), 1);
    expect(await streamBatches(await streamWebDataset(shards, streamOptions()), 1)).toEqual(full);
    const resumed = await streamWebDataset(shards, streamOptions());
    expect(await streamBatches(resumed, 1, 7)).toEqual(full.slice(7));
    expect(resumed.stats.decoded).toBe((12 - 7) * 8);
    const indexed = await streamWebDataset(shards, streamOptions({ index: await indexWebDataset(shards) }));
    expect(await streamBatches(indexed, 1, 4)).toEqual(full.slice(4));
    const other = await streamBatches(await streamWebDataset(shards, streamOptions({ seed: 6 })), 1);
    expect(other.map((b) => b.indices)).not.toEqual(full.map((b) => b.indices));
  });

  it('manifests: a neighbour whose image is missing is skipped with the reason the in-order read gives', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'manifest-'));
    const rows: string[] = [];
    for (let g = 0; g < 24; g++) {
      if (g !== 13) fs.writeFileSync(path.join(dir, `${g}.png`), await png(g));
      rows.push(JSON.stringify({ image: `${g}.png`, caption: `sample ${g}`, label: g % 4 }));
    }
    const manifest = path.join(dir, 'train.jsonl');
    fs.writeFileSync(manifest, `${rows.join('\n')}\n`);
    // Every sample lists only 13 (13 lists 14): each batch's first neighbour is 13 unless 13 is an anchor.
    const graph = graphOf(24, 1, (g) => (g === 13 ? [14] : [13]));
    const open = (o: Partial<StreamOptions> = {}) =>
      streamCaptionManifest(manifest, { ...streamOptions({ neighbors: { graph, count: 2 }, ...o }), labelField: 'label' });
    const stream = await open();
    expect(stream.stepsPerEpoch).toBe(4); // 24 / (8 − 2)
    const order = await anchorOrder(stream, 0);
    const batches = await streamBatches(stream, 0, 0, async (b) => {
      expect(b.captions).toEqual(Array.from(b.indices, (g) => `sample ${g}`));
    });
    const wanted = `missing image (${manifest}:14: ${path.join(dir, '13.png')} not found)`;
    expect(stream.report.skipped).toEqual([{ key: '13.png', reason: wanted }]);
    const plain = await open({ neighbors: undefined });
    await streamBatches(plain, 0);
    expect(plain.report.skipped).toEqual([{ key: '13.png', reason: wanted }]);
    // Sample 13 is in every batch, as an anchor or as the first neighbour, and never decodes: each batch is one short.
    batches.forEach((b, s) => {
      const anchors = order.slice(6 * s, 6 * s + 6);
      const kept = anchors.filter((g) => g !== 13);
      expect(b.anchors).toBe(kept.length);
      expect(b.indices.slice(0, kept.length)).toEqual(kept);
      expect(b.indices).not.toContain(13);
      expect(new Set(b.indices).size).toBe(b.indices.length);
    });
    expect(batches.map((b) => b.indices.length)).toEqual([7, 7, 7, 7]);
  });

  it('bad options are errors naming the numbers', async () => {
    await expect(streamWebDataset(shards, streamOptions({ neighbors: { graph: streamGraph, count: 8 } }))).rejects.toThrow(
      'neighbors.count must be an integer with 0 ≤ count < batchSize = 8, got 8',
    );
    // Checked before the indexing pass, which would fail on this file.
    const missing = path.join(tmp, 'missing.tar');
    await expect(streamWebDataset([missing], streamOptions({ neighbors: { graph: streamGraph, count: 9 } }))).rejects.toThrow(
      'missing.tar: neighbors.count must be an integer with 0 ≤ count < batchSize = 8, got 9',
    );
    await expect(
      streamWebDataset(shards, streamOptions({ neighbors: { graph: graphOf(50, 3, () => []), count: 2 } })),
    ).rejects.toThrow('neighbors.graph has 50 rows but the dataset has 60 samples');
  });
});
