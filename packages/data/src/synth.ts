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
  /** RGB bytes, size × size × 3 (32 × 32 × 3 by default). */
  pixels: Uint8Array;
  caption: string;
  label: number;
  className: string;
  color: string;
  background: SynthBackground | 'black';
  /** What `writeWebDataset` writes to `KEY.json` (default: `label`, `className`, `color`, `background`). */
  metadata?: Record<string, string | number>;
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

/** Background `bg` at design pixel (y, x) of the 32×32 layout; `g` ∈ [0, 255] is the gradient's value there. */
function backgroundPixel(bg: SynthBackground | 'black', y: number, x: number, g: number): [number, number, number] {
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
      const v = Math.round(g);
      return [v, 255 - v, 128];
    }
  }
}

/** The 28×28 object's alpha at (fractional) object coordinates, bilinear, 0 outside it. */
function objectAlpha(objectPixels: Uint8Array, oy: number, ox: number): number {
  const y0 = Math.floor(oy);
  const x0 = Math.floor(ox);
  const fy = oy - y0;
  const fx = ox - x0;
  const at = (y: number, x: number) => (y >= 0 && y < 28 && x >= 0 && x < 28 ? objectPixels[y * 28 + x] : 0);
  if (fy === 0 && fx === 0) return at(y0, x0) / 255;
  const top = at(y0, x0) * (1 - fx) + at(y0, x0 + 1) * fx;
  const bottom = at(y0 + 1, x0) * (1 - fx) + at(y0 + 1, x0 + 1) * fx;
  return (top * (1 - fy) + bottom * fy) / 255;
}

/**
 * Draws object `objectPixels` (28×28 grey) in `color` onto `background`, offset by (dy, dx), as a
 * `size`×`size` RGB image (default 32). The layout is the 32×32 one scaled: at other sizes the
 * object is resampled bilinearly and the textures keep their proportions.
 */
export function composeImage(
  objectPixels: Uint8Array,
  color: [number, number, number],
  background: SynthBackground | 'black',
  dy: number,
  dx: number,
  size = SIZE,
): Uint8Array {
  if (!Number.isInteger(size) || size < 8) throw new Error(`composeImage: size must be an integer ≥ 8, got ${size}`);
  const out = new Uint8Array(size * size * 3);
  const scale = size / SIZE;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Pixel centres mapped onto the 32×32 layout.
      const alpha = objectAlpha(objectPixels, (y + 0.5) / scale - 0.5 - dy, (x + 0.5) / scale - 0.5 - dx);
      const bg = backgroundPixel(background, Math.floor(y / scale), Math.floor(x / scale), (255 * (x + y)) / (2 * (size - 1)));
      for (let c = 0; c < 3; c++) out[(y * size + x) * 3 + c] = Math.round(alpha * color[c] + (1 - alpha) * bg[c]);
    }
  }
  return out;
}

function pickBackground(rng: Rng, label: number, split: SynthSplit): SynthBackground | 'black' {
  if (split === 'only-fg') return 'black';
  if (split === 'mixed-rand') return SYNTH_BACKGROUNDS[rng.int(SYNTH_BACKGROUNDS.length)];
  return rng.bernoulli(BACKGROUND_CORRELATION) ? classBackground(label) : SYNTH_BACKGROUNDS[rng.int(SYNTH_BACKGROUNDS.length)];
}

/** Options of the synthetic generator. */
export interface SynthOptions {
  /** Side of the images (default 32; the 32×32 layout scaled, e.g. 64). */
  size?: number;
}

/**
 * The samples of a split one at a time, deterministic for (seed, split): what `generateSynthetic`
 * returns, without holding them. The captions, labels and layout do not depend on `size`.
 */
export function* synthSamples(
  objects: ImageDataset,
  count: number,
  seed: number,
  split: SynthSplit,
  options: SynthOptions = {},
): Generator<SynthSample> {
  if (!objects.labels || !objects.classNames || objects.height !== 28 || objects.channels !== 1) {
    throw new Error(`generateSynthetic: needs a labelled 28×28 greyscale object source, got ${objects.name}`);
  }
  const size = options.size ?? SIZE;
  const rng = new Rng(
    seed,
    0x5e7,
    SYNTH_BACKGROUNDS.length,
    ['train', 'original', 'only-fg', 'mixed-same', 'mixed-rand'].indexOf(split),
  );
  const colors = Object.keys(SYNTH_COLORS);
  for (let i = 0; i < count; i++) {
    const index = rng.int(objects.size);
    const label = objects.labels[index];
    const color = colors[rng.int(colors.length)];
    const background = pickBackground(rng, label, split);
    const object = objects.pixels.subarray(index * 784, (index + 1) * 784);
    const pixels = composeImage(object, SYNTH_COLORS[color], background, rng.int(5), rng.int(5), size);
    const className = objects.classNames[label];
    const where = background === 'black' ? 'on a black background' : `on a ${background} background`;
    yield {
      key: `${split}-${String(i).padStart(7, '0')}`,
      pixels,
      caption: `a ${color} ${NOUN[className] ?? className.toLowerCase()} ${where}`,
      label,
      className,
      color,
      background,
    };
  }
}

/**
 * `count` samples of a split, deterministic for (seed, split), drawing objects from `objects`, all
 * in memory (`count` × size² × 3 bytes): `synthSamples` yields them one at a time.
 */
export function generateSynthetic(
  objects: ImageDataset,
  count: number,
  seed: number,
  split: SynthSplit,
  options: SynthOptions = {},
): SynthSample[] {
  return Array.from(synthSamples(objects, count, seed, split, options));
}

/**
 * Writes samples as WebDataset tar shards (`key.png`, `key.txt`, `key.json`), each atomically (a
 * temporary file renamed when complete). The samples are consumed as they are written, PNG-encoded
 * by sharp eight at a time: from a generator (`synthSamples`), memory holds a few samples, not the
 * set or a shard.
 */
export async function writeWebDataset(
  samples: Iterable<SynthSample> | AsyncIterable<SynthSample>,
  dir: string,
  prefix: string,
  shardSize = 1000,
): Promise<string[]> {
  if (!Number.isInteger(shardSize) || shardSize < 1)
    throw new Error(`writeWebDataset: shardSize must be an integer ≥ 1, got ${shardSize}`);
  const sharp = await loadSharp('writing WebDataset shards (PNG encoding)');
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  let shard: { file: string; tmp: string; fd: number; count: number } | null = null;
  const encode = async (x: SynthSample): Promise<Buffer[]> => {
    const side = Math.round(Math.sqrt(x.pixels.length / 3));
    if (side * side * 3 !== x.pixels.length)
      throw new Error(`writeWebDataset: ${x.key}: ${x.pixels.length} bytes are not a square RGB image`);
    const png = await sharp(Buffer.from(x.pixels), { raw: { width: side, height: side, channels: 3 } })
      .png()
      .toBuffer();
    const meta = x.metadata ?? { label: x.label, className: x.className, color: x.color, background: x.background };
    return [
      tarEntry(`${x.key}.png`, png),
      tarEntry(`${x.key}.txt`, Buffer.from(x.caption)),
      tarEntry(`${x.key}.json`, Buffer.from(JSON.stringify(meta))),
    ];
  };
  const close = () => {
    if (!shard) return;
    fs.writeSync(shard.fd, TAR_END);
    fs.closeSync(shard.fd);
    fs.renameSync(shard.tmp, shard.file);
    files.push(shard.file);
    shard = null;
  };
  const write = (parts: Buffer[]) => {
    if (!shard) {
      const file = path.join(dir, `${prefix}-${String(files.length).padStart(5, '0')}.tar`);
      const tmp = `${file}.${process.pid}.tmp`;
      shard = { file, tmp, fd: fs.openSync(tmp, 'w'), count: 0 };
    }
    for (const part of parts) fs.writeSync(shard.fd, part);
    if (++shard.count === shardSize) close();
  };
  const pending: Promise<Buffer[]>[] = [];
  try {
    for await (const x of samples) {
      const encoded = encode(x);
      encoded.catch(() => {}); // awaited in order below; this only keeps an early failure from being unhandled
      pending.push(encoded);
      if (pending.length >= 8) write(await (pending.shift() as Promise<Buffer[]>));
    }
    while (pending.length) write(await (pending.shift() as Promise<Buffer[]>));
    close();
  } catch (err) {
    const open = shard as { tmp: string; fd: number } | null;
    if (open) {
      fs.closeSync(open.fd);
      fs.rmSync(open.tmp, { force: true });
    }
    throw err;
  }
  return files;
}
