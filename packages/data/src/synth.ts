import fs from 'node:fs';
import path from 'node:path';
import type { ImageDataset } from './dataset.js';
import { Rng } from './rng.js';
import { loadSharp } from './sharp.js';
import { TAR_END, tarEntry } from './tar.js';

// A captioned set for attribute and background disambiguation, in the spirit of ImageNet-9's
// background challenge: Fashion-MNIST objects drawn in a colour onto textured backgrounds at
// 32×32 RGB, captioned with object, colour and background. In `train` and `original`, each class
// usually appears on "its" background (as ImageNet classes do), so a model can lean on it; the
// other test splits break that: `only-fg` (black background), `mixed-same` (a background drawn
// from the same class's distribution), `mixed-rand` (a uniformly random background).

export const SYNTH_COLORS: Record<string, [number, number, number]> = {
  red: [220, 40, 40],
  green: [40, 170, 60],
  blue: [50, 80, 220],
  yellow: [230, 210, 40],
  purple: [150, 60, 190],
  orange: [240, 140, 30],
  white: [245, 245, 245],
  pink: [240, 130, 180],
};

export const SYNTH_BACKGROUNDS = ['plain', 'striped', 'checkered', 'dotted', 'gradient'] as const;
export type SynthBackground = (typeof SYNTH_BACKGROUNDS)[number];
export type SynthSplit = 'train' | 'original' | 'only-fg' | 'mixed-same' | 'mixed-rand';

/** How often a class appears on its own background in `train`, `original` and `mixed-same`. */
export const BACKGROUND_CORRELATION = 0.8;

export interface SynthSample {
  key: string;
  pixels: Uint8Array; // 32 × 32 × 3
  caption: string;
  label: number;
  className: string;
  color: string;
  background: SynthBackground | 'black';
}

const SIZE = 32;
const NOUN: Record<string, string> = {
  'T-shirt/top': 't-shirt',
  Trouser: 'pair of trousers',
  Pullover: 'pullover',
  Dress: 'dress',
  Coat: 'coat',
  Sandal: 'sandal',
  Shirt: 'shirt',
  Sneaker: 'sneaker',
  Bag: 'bag',
  'Ankle boot': 'ankle boot',
};

/** The background a class prefers (its ImageNet-9-style spurious cue). */
export function classBackground(label: number): SynthBackground {
  return SYNTH_BACKGROUNDS[label % SYNTH_BACKGROUNDS.length];
}

function backgroundPixel(bg: SynthBackground | 'black', y: number, x: number): [number, number, number] {
  switch (bg) {
    case 'black':
      return [0, 0, 0];
    case 'plain':
      return [128, 128, 128];
    case 'striped':
      return Math.floor(y / 2) % 2 === 0 ? [200, 200, 200] : [60, 60, 60];
    case 'checkered':
      return (Math.floor(y / 4) + Math.floor(x / 4)) % 2 === 0 ? [210, 180, 140] : [90, 60, 40];
    case 'dotted':
      return y % 4 === 1 && x % 4 === 1 ? [250, 250, 250] : [40, 60, 90];
    case 'gradient': {
      const v = Math.round((255 * (x + y)) / (2 * (SIZE - 1)));
      return [v, 255 - v, 128];
    }
  }
}

/** Draws object `objectPixels` (28×28 grey) in `color` onto `background`, offset by (dy, dx). */
export function composeImage(objectPixels: Uint8Array, color: [number, number, number], background: SynthBackground | 'black', dy: number, dx: number): Uint8Array {
  const out = new Uint8Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const oy = y - dy;
      const ox = x - dx;
      const alpha = oy >= 0 && oy < 28 && ox >= 0 && ox < 28 ? objectPixels[oy * 28 + ox] / 255 : 0;
      const bg = backgroundPixel(background, y, x);
      for (let c = 0; c < 3; c++) out[(y * SIZE + x) * 3 + c] = Math.round(alpha * color[c] + (1 - alpha) * bg[c]);
    }
  }
  return out;
}

function pickBackground(rng: Rng, label: number, split: SynthSplit): SynthBackground | 'black' {
  if (split === 'only-fg') return 'black';
  if (split === 'mixed-rand') return SYNTH_BACKGROUNDS[rng.int(SYNTH_BACKGROUNDS.length)];
  return rng.bernoulli(BACKGROUND_CORRELATION) ? classBackground(label) : SYNTH_BACKGROUNDS[rng.int(SYNTH_BACKGROUNDS.length)];
}

/** `count` samples of a split, deterministic for (seed, split), drawing objects from `objects`. */
export function generateSynthetic(objects: ImageDataset, count: number, seed: number, split: SynthSplit): SynthSample[] {
  if (!objects.labels || !objects.classNames || objects.height !== 28 || objects.channels !== 1) {
    throw new Error(`generateSynthetic: needs a labelled 28×28 greyscale object source, got ${objects.name}`);
  }
  const rng = new Rng(seed, 0x5e7, SYNTH_BACKGROUNDS.length, ['train', 'original', 'only-fg', 'mixed-same', 'mixed-rand'].indexOf(split));
  const colors = Object.keys(SYNTH_COLORS);
  return Array.from({ length: count }, (_, i) => {
    const index = rng.int(objects.size);
    const label = objects.labels![index];
    const color = colors[rng.int(colors.length)];
    const background = pickBackground(rng, label, split);
    const pixels = composeImage(objects.pixels.subarray(index * 784, (index + 1) * 784), SYNTH_COLORS[color], background, rng.int(5), rng.int(5));
    const className = objects.classNames![label];
    const where = background === 'black' ? 'on a black background' : `on a ${background} background`;
    return { key: `${split}-${String(i).padStart(7, '0')}`, pixels, caption: `a ${color} ${NOUN[className] ?? className.toLowerCase()} ${where}`, label, className, color, background };
  });
}

/** Writes samples as WebDataset tar shards (`key.png`, `key.txt`, `key.json`), each atomically. */
export async function writeWebDataset(samples: SynthSample[], dir: string, prefix: string, shardSize = 1000): Promise<string[]> {
  const sharp = await loadSharp('writing WebDataset shards (PNG encoding)');
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let s = 0; s * shardSize < samples.length; s++) {
    const parts: Buffer[] = [];
    for (const x of samples.slice(s * shardSize, (s + 1) * shardSize)) {
      const png = await sharp(Buffer.from(x.pixels), { raw: { width: SIZE, height: SIZE, channels: 3 } }).png().toBuffer();
      const meta = { label: x.label, className: x.className, color: x.color, background: x.background };
      parts.push(tarEntry(`${x.key}.png`, png), tarEntry(`${x.key}.txt`, Buffer.from(x.caption)), tarEntry(`${x.key}.json`, Buffer.from(JSON.stringify(meta))));
    }
    parts.push(TAR_END);
    const file = path.join(dir, `${prefix}-${String(s).padStart(5, '0')}.tar`);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, Buffer.concat(parts));
    fs.renameSync(tmp, file);
    files.push(file);
  }
  return files;
}
