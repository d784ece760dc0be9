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
  loadMnistFamily,
  readWebDataset,
  SYNTH_COLORS,
  type SynthBackground,
  TAR_END,
  tarEntry,
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
