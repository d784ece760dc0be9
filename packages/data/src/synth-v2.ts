import type { ImageDataset } from './dataset.js';
import { Rng } from './rng.js';
import {
  BACKGROUND_CORRELATION,
  classBackground,
  composeImage,
  SYNTH_BACKGROUNDS,
  SYNTH_COLORS,
  type SynthBackground,
  type SynthOptions,
  type SynthSample,
  type SynthSplit,
} from './synth.js';
import { synthV2Caption } from './synth-v2-captions.js';

// synth v2, a compositional captioned set: Fashion-MNIST objects with six attributes that the
// captions name (colour, texture, size, position, background, count), so that attribute probes
// and graded caption similarity have something to measure. The layout is in fractions of the
// canvas, so captions, labels and attributes do not depend on the image size.

/** The attributes of a synth v2 sample, in the order of `SYNTH_V2_ATTRIBUTES`. */
export const SYNTH_V2_ATTRIBUTE_NAMES = ['color', 'texture', 'size', 'position', 'background', 'count'] as const;
export type SynthV2Attribute = (typeof SYNTH_V2_ATTRIBUTE_NAMES)[number];

/** Each attribute's values, indexed as in the samples' `KEY.json` (`background` 5 is `only-fg`'s black). */
export const SYNTH_V2_ATTRIBUTES: Readonly<Record<SynthV2Attribute, readonly string[]>> = Object.freeze({
  color: Object.keys(SYNTH_COLORS),
  texture: ['solid', 'striped', 'dotted', 'checkered'],
  size: ['small', 'medium', 'large'],
  position: ['left', 'centre', 'right'],
  background: [...SYNTH_BACKGROUNDS, 'black'],
  count: ['one', 'two', 'three'],
});

/** synth v2's splits: v1's, plus `attributes` (test objects, every attribute uniformly random). */
export type SynthV2Split = SynthSplit | 'attributes';

/** Longer side of each copy's object, as a fraction of the image side, per size. */
export const SYNTH_V2_OBJECT_SIDES = { small: 0.16, medium: 0.22, large: 0.28 } as const;

/** Copies stack in a column this far apart (fractions of the side): three large ones just fit. */
const GAP = 0.07;
const MARGIN = 0.01;
/** Horizontal centre of the column per position: the middle of each third. */
const POSITION_CENTRES = [1 / 6, 1 / 2, 5 / 6];
/** Brightness of a texture's dark parts (stripes, dots, checks), relative to the object's colour. */
export const SYNTH_V2_TEXTURE_DARK = 0.3;
/** Grey level at or below which an object pixel joined to the frame's border is outside the object. */
const LO = 16;

export interface SynthV2Sample extends SynthSample {
  /** The objects' fill: solid, striped, dotted or checkered. */
  texture: string;
  /** The objects' size: small, medium or large. */
  size: string;
  /** Where the column of copies stands: left, centre or right. */
  position: string;
  /** Copies of the object (1–3), instances of the same class. */
  copies: number;
  /** Every attribute's index into `SYNTH_V2_ATTRIBUTES`. */
  attributes: Record<SynthV2Attribute, number>;
  /** `KEY.json`: `label`, `className`, and per attribute its index and `<attribute>Name`. */
  metadata: Record<string, string | number>;
}

/**
 * Whether design pixel (y, x) of the 32×32 layout is a dark part of `texture`: patterns of period
 * 2, the finest a 32×32 image shows, so that even a small object carries a few periods.
 */
function textureDark(texture: number, y: number, x: number): boolean {
  switch (texture) {
    case 1:
      return x % 2 === 1; // vertical stripes, unlike the backgrounds' horizontal ones
    case 2:
      return y % 2 === 1 && x % 2 === 1;
    case 3:
      return (y + x) % 2 === 1;
    default:
      return false;
  }
}

/**
 * The object's silhouette, 0 or 1 per 28×28 pixel: all but the dark pixels joined to the frame's
 * border, so that dark prints and folds inside a garment are filled (the texture attribute, not
 * Fashion-MNIST's shading, patterns the fill), while gaps open to the outside (sandal straps,
 * between trouser legs) stay open.
 */
function silhouette(object: Uint8Array): Uint8Array {
  const mask = new Uint8Array(784).fill(1);
  const stack: number[] = [];
  for (let i = 0; i < 28; i++) stack.push(i, 27 * 28 + i, i * 28, i * 28 + 27);
  while (stack.length) {
    const p = stack.pop() as number;
    if (!mask[p] || object[p] > LO) continue;
    mask[p] = 0;
    const [r, c] = [Math.floor(p / 28), p % 28];
    if (r > 0) stack.push(p - 28);
    if (r < 27) stack.push(p + 28);
    if (c > 0) stack.push(p - 1);
    if (c < 27) stack.push(p + 1);
  }
  return mask;
}

/** A silhouette's bounding box (rows, columns, inclusive), the whole frame when it is empty. */
function inkBox(mask: Uint8Array): [number, number, number, number] {
  let [r0, r1, c0, c1] = [28, -1, 28, -1];
  for (let r = 0; r < 28; r++)
    for (let c = 0; c < 28; c++)
      if (mask[r * 28 + c]) {
        r0 = Math.min(r0, r);
        r1 = Math.max(r1, r);
        c0 = Math.min(c0, c);
        c1 = Math.max(c1, c);
      }
  return r1 < 0 ? [0, 27, 0, 27] : [r0, r1, c0, c1];
}

/** Bilinear coverage of `mask` at (fractional) pixel coordinates, 0 outside the frame. */
function coverage(mask: Uint8Array, y: number, x: number): number {
  const y0 = Math.floor(y);
  const x0 = Math.floor(x);
  const at = (r: number, c: number) => (r >= 0 && r < 28 && c >= 0 && c < 28 ? mask[r * 28 + c] : 0);
  const fy = y - y0;
  const fx = x - x0;
  const top = at(y0, x0) * (1 - fx) + at(y0, x0 + 1) * fx;
  return top * (1 - fy) + (at(y0 + 1, x0) * (1 - fx) + at(y0 + 1, x0 + 1) * fx) * fy;
}

/** One copy: its silhouette, the box it is cropped to, and where it lands (fractions of the side). */
interface Placed {
  mask: Uint8Array;
  box: [number, number, number, number];
  /** Canvas units per object pixel. */
  k: number;
  left: number;
  top: number;
}

/** Draws `copy` in `rgb` (with `texture`) over the `size`×`size` image `out`, antialiased by supersampling. */
function drawCopy(out: Uint8Array, size: number, copy: Placed, rgb: readonly number[], texture: number): void {
  const { mask, box, k, left, top } = copy;
  const [r0, r1, c0, c1] = box;
  const width = (c1 - c0 + 1) * k;
  const height = (r1 - r0 + 1) * k;
  // Enough samples per pixel that every object pixel is seen at the smallest sizes.
  const ss = Math.min(6, Math.max(1, Math.ceil(1 / (k * size))));
  const scale = size / 32;
  const x0 = Math.max(0, Math.floor(left * size));
  const x1 = Math.min(size - 1, Math.ceil((left + width) * size) - 1);
  const y0 = Math.max(0, Math.floor(top * size));
  const y1 = Math.min(size - 1, Math.ceil((top + height) * size) - 1);
  for (let py = y0; py <= y1; py++) {
    for (let px = x0; px <= x1; px++) {
      let alpha = 0;
      for (let a = 0; a < ss; a++) {
        const oy = r0 + ((py + (a + 0.5) / ss) / size - top) / k;
        for (let b = 0; b < ss; b++) {
          const ox = c0 + ((px + (b + 0.5) / ss) / size - left) / k;
          alpha += coverage(mask, oy - 0.5, ox - 0.5);
        }
      }
      alpha /= ss * ss;
      if (alpha === 0) continue;
      const f = textureDark(texture, Math.floor(py / scale), Math.floor(px / scale)) ? SYNTH_V2_TEXTURE_DARK : 1;
      const p = (py * size + px) * 3;
      for (let c = 0; c < 3; c++) out[p + c] = Math.round(alpha * rgb[c] * f + (1 - alpha) * out[p + c]);
    }
  }
}

const SPLIT_IDS: Record<SynthV2Split, number> = {
  train: 0,
  original: 1,
  'only-fg': 2,
  'mixed-same': 3,
  'mixed-rand': 4,
  attributes: 5,
};

function pickBackground(rng: Rng, label: number, split: SynthV2Split): number {
  const n = SYNTH_BACKGROUNDS.length;
  if (split === 'only-fg') return n; // black
  if (split === 'mixed-rand' || split === 'attributes') return rng.int(n);
  return rng.bernoulli(BACKGROUND_CORRELATION) ? SYNTH_BACKGROUNDS.indexOf(classBackground(label)) : rng.int(n);
}

/**
 * The samples of a synth v2 split one at a time; sample `i` depends on (seed, split, i) alone, so
 * a longer split starts with a shorter one's samples. Each holds 1–3 instances of one Fashion-MNIST
 * class (`objects`, 28×28 grey, labelled) as filled silhouettes scaled to the size's side,
 * stacked in a column at the position, filled with the colour in the texture, over the background.
 * In `train`, `original` and `mixed-same` the background is the class's own with probability
 * `BACKGROUND_CORRELATION` (as in v1); `only-fg` is black; `mixed-rand` and `attributes` draw it
 * uniformly. Every other attribute is uniform in every split. `options.size` ≥ 32 (default 32).
 */
export function* synthV2Samples(
  objects: ImageDataset,
  count: number,
  seed: number,
  split: SynthV2Split,
  options: SynthOptions = {},
): Generator<SynthV2Sample> {
  const { labels, classNames } = objects;
  if (!labels || !classNames || objects.height !== 28 || objects.width !== 28 || objects.channels !== 1) {
    throw new Error(`synthV2Samples: needs a labelled 28×28 greyscale object source, got ${objects.name}`);
  }
  const size = options.size ?? 32;
  if (!Number.isInteger(size) || size < 32) throw new Error(`synthV2Samples: size must be an integer ≥ 32, got ${size}`);
  if (!Object.hasOwn(SPLIT_IDS, split)) throw new Error(`synthV2Samples: unknown split "${split}"`);
  const byClass: number[][] = classNames.map(() => []);
  labels.forEach((label, i) => {
    byClass[label].push(i);
  });
  const backgrounds = new Map<number, Uint8Array>();
  const backgroundImage = (bg: number) => {
    let image = backgrounds.get(bg);
    if (!image) {
      const name = SYNTH_V2_ATTRIBUTES.background[bg] as SynthBackground | 'black';
      image = composeImage(new Uint8Array(784), [0, 0, 0], name, 0, 0, size);
      backgrounds.set(bg, image);
    }
    return image;
  };
  const objectAt = (i: number) => objects.pixels.subarray(i * 784, (i + 1) * 784);
  const A = SYNTH_V2_ATTRIBUTES;
  for (let i = 0; i < count; i++) {
    const rng = new Rng(seed, 0x5e72, SPLIT_IDS[split], i);
    const first = rng.int(objects.size);
    const label = labels[first];
    const drawn: Record<SynthV2Attribute, number> = {
      color: rng.int(A.color.length),
      texture: rng.int(A.texture.length),
      size: rng.int(A.size.length),
      position: rng.int(A.position.length),
      count: rng.int(A.count.length),
      background: pickBackground(rng, label, split),
    };
    // Drawn in that order, listed in SYNTH_V2_ATTRIBUTE_NAMES's.
    const attributes = Object.fromEntries(SYNTH_V2_ATTRIBUTE_NAMES.map((a) => [a, drawn[a]])) as typeof drawn;
    const copies = attributes.count + 1;
    const side = SYNTH_V2_OBJECT_SIDES[A.size[attributes.size] as keyof typeof SYNTH_V2_OBJECT_SIDES];
    const placed: Placed[] = [];
    for (let c = 0; c < copies; c++) {
      const mask = silhouette(objectAt(c === 0 ? first : byClass[label][rng.int(byClass[label].length)]));
      const box = inkBox(mask);
      const k = side / Math.max(box[1] - box[0] + 1, box[3] - box[2] + 1);
      placed.push({ mask, box, k, left: 0, top: 0 });
    }
    // The column: copies one under another, GAP apart, at a random height; centred on the position.
    const heights = placed.map((p) => (p.box[1] - p.box[0] + 1) * p.k);
    const column = heights.reduce((a, b) => a + b, 0) + GAP * (copies - 1);
    let top = MARGIN + rng.uniform(0, Math.max(0, 1 - 2 * MARGIN - column));
    const centre = POSITION_CENTRES[attributes.position] + rng.uniform(-0.04, 0.04);
    placed.forEach((p, c) => {
      const width = (p.box[3] - p.box[2] + 1) * p.k;
      const x = centre + rng.uniform(-0.02, 0.02);
      p.left = Math.min(1 - MARGIN - width, Math.max(MARGIN, x - width / 2));
      p.top = top;
      top += heights[c] + GAP;
    });
    const pixels = Uint8Array.from(backgroundImage(attributes.background));
    const color = A.color[attributes.color];
    for (const p of placed) drawCopy(pixels, size, p, SYNTH_COLORS[color], attributes.texture);
    const names = Object.fromEntries(SYNTH_V2_ATTRIBUTE_NAMES.map((a) => [a, A[a][attributes[a]]])) as Record<
      SynthV2Attribute,
      string
    >;
    const className = classNames[label];
    const caption = synthV2Caption({ ...names, className, copies }, rng);
    const metadata: Record<string, string | number> = { label, className };
    for (const a of SYNTH_V2_ATTRIBUTE_NAMES) {
      metadata[a] = attributes[a];
      metadata[`${a}Name`] = names[a];
    }
    yield {
      key: `${split}-${String(i).padStart(7, '0')}`,
      pixels,
      caption,
      label,
      className,
      color,
      background: names.background as SynthBackground | 'black',
      texture: names.texture,
      size: names.size,
      position: names.position,
      copies,
      attributes,
      metadata,
    };
  }
}
