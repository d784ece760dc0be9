import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CaptionStream,
  disposeBatch,
  indexWebDataset,
  NO_AUGMENT,
  readWebDataset,
  type StreamBatch,
  type StreamOptions,
  simclrAugment,
  streamCaptionManifest,
  streamWebDataset,
  TAR_END,
  tarEntry,
} from '../src/index.js';

// Tiny data: 6 shards of 50 solid-colour 12×12 PNGs. Sample g (its global number in shard order)
// has key `s<shard>-<j>`, caption `sample <g>`, label g % 5 and colour (g, 2g mod 256, 255 − g mod 256).
const SHARDS = 6;
const PER_SHARD = 50;
const TOTAL = SHARDS * PER_SHARD;
const colour = (g: number) => [g % 256, (2 * g) % 256, 255 - (g % 256)];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-stream-'));
let shards: string[];

async function png(g: number, side = 12): Promise<Buffer> {
  const [r, gr, b] = colour(g);
  return sharp({ create: { width: side, height: side, channels: 3, background: { r, g: gr, b } } })
    .png()
    .toBuffer();
}

async function sample(key: string, g: number): Promise<Buffer[]> {
  return [
    tarEntry(`${key}.png`, await png(g)),
    tarEntry(`${key}.txt`, Buffer.from(`sample ${g}`)),
    tarEntry(`${key}.json`, Buffer.from(JSON.stringify({ label: g % 5 }))),
  ];
}

beforeAll(async () => {
  shards = [];
  for (let s = 0; s < SHARDS; s++) {
    const parts: Buffer[] = [];
    for (let j = 0; j < PER_SHARD; j++) parts.push(...(await sample(`s${s}-${j}`, s * PER_SHARD + j)));
    const file = path.join(tmp, `shard-${s}.tar`);
    fs.writeFileSync(file, Buffer.concat([...parts, TAR_END]));
    shards.push(file);
  }
});

const options = (extra: Partial<StreamOptions> = {}): StreamOptions => ({
  batchSize: 32,
  seed: 1,
  augment: NO_AUGMENT, // keys and orders; the views are compared where simclrAugment is asked for
  imageSize: 8,
  shuffleBuffer: 64,
  concurrency: 4,
  ...extra,
});

/** The keys of each batch of `epoch` from `fromStep`, stopping after `stopAfter` batches. */
async function keysOf(stream: CaptionStream, epoch: number, fromStep = 0, stopAfter = Number.POSITIVE_INFINITY) {
  const keys: string[][] = [];
  for await (const batch of stream.epoch(epoch, fromStep)) {
    keys.push(batch.keys);
    disposeBatch(batch);
    if (keys.length === stopAfter) break;
  }
  return keys;
}

describe('streamWebDataset', () => {
  it('yields ContrastiveLoader-shaped batches: two views in [0, 1], stable indices, keys, captions, labels', async () => {
    const stream = await streamWebDataset(shards, options({ augment: NO_AUGMENT }));
    expect(stream.samples).toBe(TOTAL);
    expect(stream.stepsPerEpoch).toBe(Math.floor(TOTAL / 32));
    expect(stream.labelled).toBe(true);
    const before = tf.memory().numTensors;
    let steps = 0;
    for await (const batch of stream.epoch(0)) {
      expect(batch.step).toBe(steps++);
      expect(batch.views).toHaveLength(2);
      for (const v of [batch.images, ...batch.views]) expect(v.shape).toEqual([32, 8, 8, 3]);
      const pixels = await batch.images.data();
      expect(Math.min(...pixels)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...pixels)).toBeLessThanOrEqual(1);
      for (let k = 0; k < 32; k++) {
        const g = batch.indices[k];
        const [shard, j] = batch.keys[k].slice(1).split('-').map(Number);
        expect(g).toBe(shard * PER_SHARD + j); // the sample's number in shard order, in every epoch
        expect(batch.captions[k]).toBe(`sample ${g}`);
        expect(batch.labels![k]).toBe(g % 5);
        const rgb = Array.from(pixels.subarray(k * 192, k * 192 + 3), (p) => Math.round(p * 255));
        expect(rgb).toEqual(colour(g));
      }
      expect(Array.from(await batch.views[1].data())).toEqual(Array.from(pixels)); // NO_AUGMENT
      disposeBatch(batch);
    }
    expect(steps).toBe(stream.stepsPerEpoch);
    expect(tf.memory().numTensors).toBe(before);
    expect(stream.report).toEqual({ read: steps * 32, skipped: [] });
  });

  it('is deterministic for (seed, epoch); epochs and seeds give other orders; an epoch takes each sample once', async () => {
    const a = await streamWebDataset(shards, options());
    const b = await streamWebDataset(shards, options());
    const first = await keysOf(a, 3);
    expect(await keysOf(b, 3)).toEqual(first);
    const flat = first.flat();
    expect(new Set(flat).size).toBe(flat.length);
    expect(flat).toHaveLength(a.stepsPerEpoch * 32);
    expect((await keysOf(a, 4)).flat()).not.toEqual(flat);
    expect((await keysOf(await streamWebDataset(shards, options({ seed: 2 })), 3)).flat()).not.toEqual(flat);
    // The same views, not only the same samples.
    const simclr = options({ augment: simclrAugment(3) });
    const [x] = await take((await streamWebDataset(shards, simclr)).epoch(3, 2));
    const [y] = await take((await streamWebDataset(shards, simclr)).epoch(3, 2));
    expect(Array.from(await x.views[0].data())).toEqual(Array.from(await y.views[0].data()));
    [x, y].forEach(disposeBatch);
    // The order is the epoch's `order()`, which reads no image.
    const order: string[] = [];
    for await (const r of a.order(3)) order.push(r.key);
    expect(order.slice(0, flat.length)).toEqual(flat);
    // Without shuffling, the stream is the shards in order.
    const plain = await streamWebDataset(shards, options({ shuffleBuffer: 0, shuffleShards: false }));
    const records: number[] = [];
    for await (const r of plain.records()) records.push(r.index);
    expect(records).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
    expect((await keysOf(plain, 0, 0, 1))[0]).toEqual(Array.from({ length: 32 }, (_, j) => `s0-${j}`));
  });

  it('resumes exactly: a run stopped at step k and restarted with epoch(e, k) takes the same samples in the same order', async () => {
    const full = await keysOf(await streamWebDataset(shards, options()), 2);
    for (const k of [1, 4, 8]) {
      const first = await keysOf(await streamWebDataset(shards, options()), 2, 0, k);
      const resumed = await streamWebDataset(shards, options()); // a new process
      const rest = await keysOf(resumed, 2, k);
      expect([...first, ...rest]).toEqual(full);
      // The replayed batches were not decoded: only the images of the batches after k were.
      expect(resumed.stats.decoded).toBe((full.length - k) * 32);
    }
    const simclr = options({ augment: simclrAugment(3) });
    const [a] = await take((await streamWebDataset(shards, simclr)).epoch(2, 5));
    const uninterrupted = await streamWebDataset(shards, simclr);
    let b: StreamBatch | undefined;
    for await (const batch of uninterrupted.epoch(2)) {
      if (batch.step === 5) {
        b = batch;
        break;
      }
      disposeBatch(batch);
    }
    expect(Array.from(await a.views[1].data())).toEqual(Array.from(await b!.views[1].data()));
    [a, b!].forEach(disposeBatch);
    expect(await keysOf(uninterrupted, 2, uninterrupted.stepsPerEpoch)).toEqual([]);
  });

  it('holds at most shuffleBuffer descriptors and concurrency images; an early break releases them', async () => {
    const stream = await streamWebDataset(shards, options({ shuffleBuffer: 40, concurrency: 3, batchSize: 16 }));
    await keysOf(stream, 0);
    expect(stream.stats.maxBuffered).toBe(40);
    expect(stream.stats.maxImagesHeld).toBeLessThanOrEqual(3);
    expect(stream.stats.maxImagesHeld).toBeGreaterThan(0);
    await keysOf(stream, 1, 0, 2);
    expect(stream.stats).toMatchObject({ imagesHeld: 0, buffered: 0 });
  });

  it('skips and reports bad samples as readWebDataset does; a sample that does not decode leaves its batch one short', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'bad-'));
    const good = async (from: number, n: number) => {
      const parts: Buffer[] = [];
      for (let g = from; g < from + n; g++) parts.push(...(await sample(`k${g}`, g)));
      return parts;
    };
    const a = path.join(dir, 'a.tar');
    fs.writeFileSync(
      a,
      Buffer.concat([
        ...(await good(0, 10)),
        tarEntry('bad.png', Buffer.from('not a png')),
        tarEntry('bad.txt', Buffer.from('a corrupt image')),
        tarEntry('nocap.png', await png(1)),
        tarEntry('badjson.png', await png(2)),
        tarEntry('badjson.txt', Buffer.from('x')),
        tarEntry('badjson.json', Buffer.from('{')),
        tarEntry('noimage.txt', Buffer.from('no image')),
        ...(await good(10, 10)),
        TAR_END,
      ]),
    );
    const b = path.join(dir, 'b.tar');
    const cut = Buffer.concat(await good(20, 6));
    fs.writeFileSync(b, cut.subarray(0, cut.length - 800)); // ends inside the header of k25.json
    const skips: string[] = [];
    const stream = await streamWebDataset([a, b], {
      ...options({ batchSize: 4, dropLast: false }),
      onSkip: ({ key }) => skips.push(key),
    });
    // 25 usable samples, one of which (bad) does not decode; the rest are known from the index.
    expect(stream.samples).toBe(26); // k0–k24 and bad
    expect(stream.labelled).toBe(false); // bad has no label
    expect(stream.report.skipped.map((s) => s.key).sort()).toEqual(['badjson', 'k25', 'nocap', 'noimage']);
    const sizes: number[] = [];
    const seen: string[] = [];
    for (const epoch of [0, 1]) {
      for await (const batch of stream.epoch(epoch)) {
        if (epoch === 0) {
          sizes.push(batch.keys.length);
          seen.push(...batch.keys);
        }
        expect(batch.labels).toBeUndefined();
        disposeBatch(batch);
      }
    }
    const order: string[] = [];
    for await (const r of stream.order(0)) order.push(r.key);
    const expected = Array.from({ length: 7 }, (_, s) => Math.min(4, 26 - 4 * s));
    expected[Math.floor(order.indexOf('bad') / 4)]--;
    expect(sizes).toEqual(expected);
    expect(seen).not.toContain('bad');
    // Each skip once (the second epoch meets the same ones), with readWebDataset's reasons.
    const { report } = await readWebDataset([a, b], { size: 8 });
    const sorted = (xs: { key: string; reason: string }[]) => [...xs].sort((x, y) => x.key.localeCompare(y.key));
    expect(sorted(stream.report.skipped)).toEqual(sorted(report.skipped));
    expect(skips.sort()).toEqual(['bad', 'badjson', 'k25', 'nocap', 'noimage']);
    expect(stream.report.read).toBe(50);
  });

  it('an index can be saved and reused; a shard changed since is an error', async () => {
    const index = await indexWebDataset(shards);
    expect(index.samples).toBe(TOTAL);
    expect(index.units.map((u) => u.samples)).toEqual(Array(SHARDS).fill(PER_SHARD));
    const saved = JSON.parse(JSON.stringify(index));
    const stream = await streamWebDataset(shards, options({ index: saved }));
    expect(await keysOf(stream, 0)).toEqual(await keysOf(await streamWebDataset(shards, options()), 0));
    const copy = path.join(tmp, 'copy.tar');
    fs.copyFileSync(shards[0], copy);
    const stale = await streamWebDataset([copy], options({ index: await indexWebDataset([copy]) }));
    fs.appendFileSync(copy, Buffer.concat(await sample('extra', 0)));
    await expect(keysOf(stale, 0)).rejects.toThrow(/copy\.tar: changed size since it was indexed/);
    await expect(streamWebDataset(shards.slice(1), options({ index: saved }))).rejects.toThrow(
      /the index given is of other files/,
    );
    await expect(streamWebDataset(shards.slice(0, 1), options({ batchSize: 64 }))).rejects.toThrow(
      /50 usable samples, fewer than one batch of 64/,
    );
  });
});

describe('streamCaptionManifest', () => {
  it('streams a JSONL manifest with the same machinery: stable order, exact resume, missing images skipped', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'manifest-'));
    fs.mkdirSync(path.join(dir, 'img'));
    const rows: string[] = [];
    for (let g = 0; g < 60; g++) {
      if (g !== 7) fs.writeFileSync(path.join(dir, 'img', `${g}.png`), await png(g, 10));
      rows.push(JSON.stringify({ image: `img/${g}.png`, caption: g === 9 ? '' : `sample ${g}`, label: g % 3 }));
    }
    const manifest = path.join(dir, 'train.jsonl');
    fs.writeFileSync(manifest, `${rows.join('\n')}\n`);
    const open = () => streamCaptionManifest(manifest, { ...options({ batchSize: 8 }), labelField: 'label' });
    const stream = await open();
    expect(stream.samples).toBe(59);
    expect(stream.stepsPerEpoch).toBe(7);
    const full = await keysOf(stream, 1);
    expect(full.flat()).not.toContain('img/9.png');
    expect(await keysOf(await open(), 1)).toEqual(full);
    const resumed = [...(await keysOf(await open(), 1, 0, 3)), ...(await keysOf(await open(), 1, 3))];
    expect(resumed).toEqual(full);
    expect(stream.report.skipped.map((s) => s.reason)).toEqual(
      expect.arrayContaining([
        `missing caption (${manifest}:10: field "caption" is empty or absent)`,
        `missing image (${manifest}:8: ${path.join(dir, 'img', '7.png')} not found)`,
      ]),
    );
    const [batch] = await take(stream.epoch(0));
    expect(Array.from(batch.labels!)).toEqual(batch.keys.map((k) => Number(k.match(/\d+/)![0]) % 3));
    disposeBatch(batch);
  });
});

async function take<T>(batches: AsyncGenerator<T>, n = 1): Promise<T[]> {
  const out: T[] = [];
  for await (const b of batches) {
    out.push(b);
    if (out.length === n) break;
  }
  return out;
}
