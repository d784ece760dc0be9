import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BACKGROUND_CORRELATION,
  classBackground,
  composeImage,
  decodeImage,
  generateSynthetic,
  type ImageDataset,
  indexWebDataset,
  loadMnistFamily,
  readTar,
  readWebDataset,
  SYNTH_COLORS,
  type SynthBackground,
  SYNTH_COMPLETE_MARKER,
  type SynthSample,
  synthDir,
  synthSamples,
  TAR_END,
  tarEntry,
  writeSynthSplits,
  writeWebDataset,
} from '../src/index.js';

let objects: ImageDataset;
beforeAll(() => {
  objects = loadMnistFamily('fashion-mnist', { split: 'test' });
}, 300_000); // decodes Fashion-MNIST on an empty cache: minutes on a loaded 2-core machine

/** Fraction of pixels that show background `bg` exactly where the object is absent. */
function backgroundMatch(pixels: Uint8Array, bg: SynthBackground | 'black'): number {
  const reference = composeImage(new Uint8Array(784), [0, 0, 0], bg, 0, 0);
  let same = 0;
  for (let p = 0; p < 32 * 32; p++) if ([0, 1, 2].every((c) => pixels[p * 3 + c] === reference[p * 3 + c])) same++;
  return same / (32 * 32);
}

describe('synthetic captioned disambiguation set', () => {
  it('is deterministic for a seed', () => {
    const a = generateSynthetic(objects, 20, 3, 'train');
    const b = generateSynthetic(objects, 20, 3, 'train');
    expect(b.map((s) => s.caption)).toEqual(a.map((s) => s.caption));
    expect(Buffer.concat(b.map((s) => Buffer.from(s.pixels))).equals(Buffer.concat(a.map((s) => Buffer.from(s.pixels))))).toBe(
      true,
    );
    expect(generateSynthetic(objects, 20, 4, 'train').map((s) => s.caption)).not.toEqual(a.map((s) => s.caption));
  });

  it('captions match pixels: the named background, the named colour, the labelled object', () => {
    for (const s of generateSynthetic(objects, 200, 1, 'train')) {
      const named = backgroundMatch(s.pixels, s.background);
      expect(named).toBeGreaterThan(0.25);
      for (const other of ['plain', 'striped', 'checkered', 'dotted', 'gradient'] as const) {
        if (other !== s.background) expect(backgroundMatch(s.pixels, other)).toBeLessThan(named);
      }
      const [r, g, b] = SYNTH_COLORS[s.color];
      let best = Number.POSITIVE_INFINITY;
      for (let p = 0; p < 1024; p++)
        best = Math.min(
          best,
          Math.abs(s.pixels[p * 3] - r) + Math.abs(s.pixels[p * 3 + 1] - g) + Math.abs(s.pixels[p * 3 + 2] - b),
        );
      expect(best).toBeLessThan(12);
      expect(s.caption).toContain(s.color);
      expect(s.caption).toContain(`${s.background} background`);
      expect(objects.classNames![s.label]).toBe(s.className);
    }
  });

  it('test splits in ImageNet-9 style: only-fg black, mixed-rand uncorrelated, original correlated', () => {
    expect(
      generateSynthetic(objects, 50, 2, 'only-fg').every(
        (s) => s.background === 'black' && s.caption.endsWith('on a black background'),
      ),
    ).toBe(true);
    const own = (split: 'original' | 'mixed-rand') => {
      const xs = generateSynthetic(objects, 2000, 2, split);
      return xs.filter((s) => s.background === classBackground(s.label)).length / xs.length;
    };
    expect(own('original')).toBeGreaterThan(BACKGROUND_CORRELATION);
    expect(own('mixed-rand')).toBeLessThan(0.3);
  });
});

describe('WebDataset shards', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-wds-'));

  it('round-trip through tar shards streamed and decoded with sharp; a corrupt image is skipped and counted', async () => {
    const samples = generateSynthetic(objects, 12, 5, 'train');
    const files = await writeWebDataset(samples, dir, 'synth', 5);
    expect(files).toHaveLength(3);
    // Append a sample whose image is garbage, and one with no caption, to the last shard.
    const last = files[2];
    const body = fs.readFileSync(last).subarray(0, fs.statSync(last).size - TAR_END.length);
    fs.writeFileSync(
      last,
      Buffer.concat([
        body,
        tarEntry('bad.png', Buffer.from('not a png')),
        tarEntry('bad.txt', Buffer.from('x')),
        tarEntry('nocap.png', fs.readFileSync(last).subarray(0, 0)),
        TAR_END,
      ]),
    );
    const { dataset, report } = await readWebDataset(files, { size: 32, classNames: [...objects.classNames!] });
    expect(report.read).toBe(12);
    expect(report.skipped.map((s) => s.key)).toEqual(['bad', 'nocap']);
    expect(report.skipped[0].reason).toMatch(/^corrupt image/);
    expect(report.skipped[1].reason).toBe(`missing caption (${last}: no nocap.txt)`);
    expect(dataset.captions).toEqual(samples.map((s) => s.caption));
    expect(Array.from(dataset.labels!)).toEqual(samples.map((s) => s.label));
    expect(Buffer.from(dataset.pixels).equals(Buffer.concat(samples.map((s) => Buffer.from(s.pixels))))).toBe(true);
  });

  it('decodes and centre-crops other sizes; a truncated shard is skipped and counted', async () => {
    const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 10, g: 200, b: 30 } } })
      .png()
      .toBuffer();
    const rgb = await decodeImage(png, 32);
    expect(rgb.length).toBe(32 * 32 * 3);
    expect(Array.from(rgb.subarray(0, 3))).toEqual([10, 200, 30]);
    const truncated = path.join(dir, 'cut.tar');
    fs.writeFileSync(truncated, tarEntry('a.txt', Buffer.alloc(2000, 65)).subarray(0, 1000));
    const { report } = await readWebDataset([truncated]);
    expect(report).toEqual({
      read: 0,
      skipped: [
        {
          key: 'a',
          reason: `truncated shard (${truncated}: the file ends inside a.txt, 488 of 2000 bytes; the rest of the shard is skipped)`,
        },
      ],
    });
  });
});

describe('the synthetic set at scale: generated and written shard by shard', () => {
  it('writeSynthSplits writes 3,000 samples at 64×64 into correct shards', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-synth64-'));
    const lines: string[] = [];
    await writeSynthSplits({
      out,
      trainCount: 3000,
      testCount: 5,
      seed: 4,
      shardSize: 1000,
      size: 64,
      log: (l) => lines.push(l),
    });
    expect(lines[0]).toBe(`train: 3000 samples (64×64) in 3 shards under ${path.join(out, 'train')}`);
    const names = fs.readdirSync(path.join(out, 'train')).sort();
    expect(names).toEqual(['train-00000.tar', 'train-00001.tar', 'train-00002.tar']); // no temporary file left
    const shards = names.map((n) => path.join(out, 'train', n));
    const index = await indexWebDataset(shards);
    expect(index.units.map((u) => u.samples)).toEqual([1000, 1000, 1000]);
    expect(index.labelled).toBe(true);
    // Every sample is the generator's, in order: key, caption, label, and (every 25th) the pixels.
    const expected = synthSamples(loadMnistFamily('fashion-mnist', { split: 'train' }), 3000, 4, 'train', { size: 64 });
    let n = 0;
    let x: SynthSample | undefined;
    for (const shard of shards) {
      for await (const file of readTar(shard)) {
        if (file.name.endsWith('.png')) {
          x = expected.next().value as SynthSample;
          expect(file.name).toBe(`${x.key}.png`);
          if (n++ % 25 === 0) {
            const { data, info } = await sharp(file.data).raw().toBuffer({ resolveWithObject: true });
            expect([info.width, info.height, info.channels]).toEqual([64, 64, 3]);
            expect(data.equals(Buffer.from(x.pixels))).toBe(true);
          }
        } else if (file.name.endsWith('.txt')) expect(file.data.toString()).toBe(x!.caption);
        else expect(JSON.parse(file.data.toString()).label).toBe(x!.label);
      }
    }
    expect(n).toBe(3000);
    for (const split of ['original', 'only-fg', 'mixed-same', 'mixed-rand'])
      expect(fs.readdirSync(path.join(out, split))).toEqual([`${split}-00000.tar`]);
  });

  it('writeWebDataset consumes a generator as it writes: at most one shard and a few samples ahead', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-synth-lazy-'));
    let produced = 0;
    let maxAhead = 0;
    function* counted(): Generator<SynthSample> {
      for (const sample of synthSamples(objects, 2500, 6, 'train', { size: 64 })) {
        const written = fs.readdirSync(dir).filter((f) => f.endsWith('.tar')).length * 500;
        maxAhead = Math.max(maxAhead, ++produced - written);
        yield sample;
      }
    }
    const files = await writeWebDataset(counted(), dir, 'lazy', 500);
    expect(files).toHaveLength(5);
    expect(maxAhead).toBeGreaterThan(500);
    expect(maxAhead).toBeLessThanOrEqual(500 + 8); // the shard being written and the PNGs being encoded
    // 32×32 stays the default, and the layout (captions, labels) does not depend on the size.
    const small = generateSynthetic(objects, 50, 6, 'train');
    expect(small[0].pixels.length).toBe(32 * 32 * 3);
    const big = generateSynthetic(objects, 50, 6, 'train', { size: 64 });
    expect(big.map((b) => b.caption)).toEqual(small.map((b) => b.caption));
  });

  it('synthDir names a cached set of another size apart', async () => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-synth-cache-'));
    // Marked complete, so that only the folder's name is looked at (nothing is generated).
    for (const name of ['synth-v1-train20-test4-seed0-size48', 'synth-v1-train20-test4-seed0']) {
      fs.mkdirSync(path.join(cacheDir, name));
      fs.writeFileSync(path.join(cacheDir, name, SYNTH_COMPLETE_MARKER), '');
    }
    const dir = (size?: number) => synthDir({ synth: { train: 20, test: 4, seed: 0, size } }, { cacheDir });
    expect(path.basename(await dir(48))).toBe('synth-v1-train20-test4-seed0-size48');
    expect(path.basename(await dir(32))).toBe('synth-v1-train20-test4-seed0');
    expect(path.basename(await dir())).toBe('synth-v1-train20-test4-seed0');
  });
});
