import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runReadmeExample } from '@xclr/vitest-config/readme';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BACKGROUND_CORRELATION,
  classBackground,
  composeImage,
  type ImageDataset,
  indexWebDataset,
  loadMnistFamily,
  openDataset,
  readTar,
  readWebDataset,
  SYNTH_COLORS,
  SYNTH_COMPLETE_MARKER,
  SYNTH_V2_ATTRIBUTE_NAMES,
  SYNTH_V2_ATTRIBUTES,
  SYNTH_V2_OBJECT_SIDES,
  SYNTH_V2_TEXTURE_DARK,
  type SynthBackground,
  type SynthV2Sample,
  type SynthV2Split,
  subsetOf,
  synthDir,
  synthV2Samples,
  writeSynthSplits,
  writeWebDataset,
} from '../src/index.js';
import { SYNTH_V2_NOUNS, SYNTH_V2_SYNONYMS } from '../src/synth-v2-captions.js';

let testObjects: ImageDataset;
let trainObjects: ImageDataset;
beforeAll(() => {
  // Decodes Fashion-MNIST on an empty cache: minutes on a loaded 2-core machine.
  testObjects = loadMnistFamily('fashion-mnist', { split: 'test' });
  trainObjects = loadMnistFamily('fashion-mnist', { split: 'train' });
}, 300_000);

const take = (split: SynthV2Split, count: number, seed: number, size = 32, objects = testObjects) =>
  Array.from(synthV2Samples(objects, count, seed, split, { size }));

/** The attribute names a caption states, read with the generator's synonym lists; throws when one is missing or ambiguous. */
function parseCaption(caption: string): Record<string, string> & { className: string } {
  const has = (text: string, phrase: string) =>
    new RegExp(`(?<![\\w-])${phrase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`).test(text);
  const one = (text: string, table: Record<string, readonly string[]>, what: string, fallback?: string): string => {
    const found = Object.keys(table).filter((value) => table[value].some((p) => has(text, p)));
    if (found.length === 0 && fallback) return fallback;
    if (found.length !== 1) throw new Error(`"${caption}": ${what} is ${found.length ? found.join(' and ') : 'missing'}`);
    return found[0];
  };
  // The backgrounds share words with the textures: read the background phrase first, then the rest.
  const bg = /(\S+) (background|backdrop)/.exec(caption);
  if (!bg) throw new Error(`"${caption}": no background`);
  const rest = caption.replace(bg[0], '');
  const S = SYNTH_V2_SYNONYMS;
  const { 2: two, 3: three } = S.count;
  const texture = Object.fromEntries(
    Object.keys(S.texture).map((t) => [
      t,
      [...S.texture[t as keyof typeof S.texture], ...S.textureWith[t as keyof typeof S.textureWith]],
    ]),
  );
  const nouns = Object.fromEntries(Object.entries(SYNTH_V2_NOUNS).map(([c, forms]) => [c, forms.flat()]));
  return {
    background: one(bg[1], S.background, 'the background'),
    color: one(rest, S.color, 'the colour'),
    texture: one(rest, texture, 'the texture'),
    size: one(rest, S.size, 'the size'),
    position: one(rest, S.position, 'the position'),
    count: one(rest, { two, three }, 'the count', 'one'),
    className: one(rest, nouns, 'the object'),
  };
}

const backgrounds = new Map<string, Uint8Array>();
function backgroundImage(name: string, size: number): Uint8Array {
  const key = `${name}/${size}`;
  if (!backgrounds.has(key))
    backgrounds.set(key, composeImage(new Uint8Array(784), [0, 0, 0], name as SynthBackground | 'black', 0, 0, size));
  return backgrounds.get(key)!;
}

/** What an image shows, read from its pixels given the background it is said to have. */
function readPixels(pixels: Uint8Array, size: number, background: string, color: string) {
  const n = size * size;
  const ref = backgroundImage(background, size);
  // Background: the fraction of pixels each candidate explains exactly.
  const match = Object.fromEntries(
    SYNTH_V2_ATTRIBUTES.background.map((bg) => {
      const r = backgroundImage(bg, size);
      let same = 0;
      for (let p = 0; p < n * 3; p += 3)
        if (pixels[p] === r[p] && pixels[p + 1] === r[p + 1] && pixels[p + 2] === r[p + 2]) same++;
      return [bg, same / n];
    }),
  );
  const object = new Uint8Array(n);
  for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) if (pixels[p * 3 + c] !== ref[p * 3 + c]) object[p] = 1;
  // Copies: runs of rows holding object pixels.
  const runs: [number, number][] = [];
  for (let y = 0; y < size; y++) {
    let any = false;
    for (let x = 0; x < size; x++) any ||= object[y * size + x] === 1;
    if (!any) continue;
    if (runs.length && runs[runs.length - 1][1] === y - 1) runs[runs.length - 1][1] = y;
    else runs.push([y, y]);
  }
  const sides = runs.map(([y0, y1]) => {
    let [x0, x1] = [size, -1];
    for (let y = y0; y <= y1; y++)
      for (let x = 0; x < size; x++)
        if (object[y * size + x]) {
          x0 = Math.min(x0, x);
          x1 = Math.max(x1, x);
        }
    return Math.max(y1 - y0 + 1, x1 - x0 + 1) / size;
  });
  let [cx, m] = [0, 0];
  for (let p = 0; p < n; p++) if (object[p]) [cx, m] = [cx + (p % size) + 0.5, m + 1];
  // Colour: every object pixel is a mix of the background and the colour (light or dark parts of
  // the fill); the palette colour that explains them with the least residual.
  const residual = (rgb: readonly number[]) => {
    let sum = 0;
    for (let p = 0; p < n; p++) {
      if (!object[p]) continue;
      let best = Number.POSITIVE_INFINITY;
      for (const f of [1, SYNTH_V2_TEXTURE_DARK]) {
        const d = [0, 1, 2].map((c) => rgb[c] * f - ref[p * 3 + c]);
        const e = [0, 1, 2].map((c) => pixels[p * 3 + c] - ref[p * 3 + c]);
        const dd = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
        const a = Math.min(1, Math.max(0, (e[0] * d[0] + e[1] * d[1] + e[2] * d[2]) / dd));
        best = Math.min(best, (e[0] - a * d[0]) ** 2 + (e[1] - a * d[1]) ** 2 + (e[2] - a * d[2]) ** 2);
      }
      sum += best;
    }
    return sum / m;
  };
  const colors = Object.entries(SYNTH_COLORS).map(([name, rgb]) => [name, residual(rgb)] as const);
  const colour = colors.sort((a, b) => a[1] - b[1])[0][0];
  // Texture: the fill's fully covered pixels are exactly the colour or its dark tone; the pattern
  // (on the 32×32 design grid; none for solid) that predicts the most of them.
  const scale = size / 32;
  const light = SYNTH_COLORS[color];
  const dark = light.map((v) => Math.round(v * SYNTH_V2_TEXTURE_DARK));
  const is = (p: number, rgb: readonly number[]) => rgb.every((v, c) => pixels[p * 3 + c] === v);
  const patterns: Record<string, (y: number, x: number) => boolean> = {
    solid: () => false,
    striped: (_, x) => x % 2 === 1,
    dotted: (y, x) => y % 2 === 1 && x % 2 === 1,
    checkered: (y, x) => (y + x) % 2 === 1,
  };
  const agree: Record<string, number> = { solid: 0, striped: 0, dotted: 0, checkered: 0 };
  let pure = 0;
  // Inside the object (its 8 neighbours are object pixels too): an edge pixel's mix of a grey fill and
  // a grey background can equal the dark tone exactly.
  const inside = (p: number) => {
    const [y, x] = [Math.floor(p / size), p % size];
    if (y === 0 || x === 0 || y === size - 1 || x === size - 1) return false;
    for (const dy of [-1, 0, 1]) for (const dx of [-1, 0, 1]) if (!object[p + dy * size + dx]) return false;
    return true;
  };
  for (let p = 0; p < n; p++) {
    if (!inside(p)) continue;
    const tone = is(p, light) ? false : is(p, dark) ? true : null;
    if (tone === null) continue;
    pure++;
    const [y, x] = [Math.floor(Math.floor(p / size) / scale), Math.floor((p % size) / scale)];
    for (const [name, isDark] of Object.entries(patterns)) if (isDark(y, x) === tone) agree[name]++;
  }
  const ranked = Object.entries(agree).sort((a, b) => b[1] - a[1]);
  const texture = pure >= 8 && ranked[0][1] === pure && ranked[1][1] < pure ? ranked[0][0] : `unclear (${pure} pixels)`;
  return { match, copies: runs.length, sides, centroid: cx / m / size, colour, texture };
}

/** The size whose object side is nearest to `side` (a fraction of the image side). */
const nearestSize = (side: number) =>
  Object.entries(SYNTH_V2_OBJECT_SIDES).sort((a, b) => Math.abs(a[1] - side) - Math.abs(b[1] - side))[0][0];

/** Per attribute, the samples whose pixels disagree with their caption. */
function mismatches(samples: SynthV2Sample[], size: number, attributes: string[]): Record<string, string[]> {
  const bad: Record<string, string[]> = Object.fromEntries(attributes.map((a) => [a, []]));
  for (const s of samples) {
    const c = parseCaption(s.caption);
    const r = readPixels(s.pixels, size, c.background, c.color);
    const seen: Record<string, string> = {
      background: Object.entries(r.match).sort((a, b) => b[1] - a[1])[0][0],
      count: SYNTH_V2_ATTRIBUTES.count[r.copies - 1],
      size: r.sides.map(nearestSize).every((z) => z === c.size) ? c.size : r.sides.map(nearestSize).join('/'),
      position: SYNTH_V2_ATTRIBUTES.position[Math.min(2, Math.floor(r.centroid * 3))],
      color: r.colour,
      texture: r.texture,
    };
    for (const a of attributes) if (seen[a] !== c[a]) bad[a].push(`${s.key}: "${s.caption}" shows ${a} ${seen[a]}`);
  }
  return bad;
}

describe('synth v2: the compositional captioned set', () => {
  it('is deterministic for (seed, split, index), and its layout does not depend on the size', () => {
    const a = take('train', 30, 3);
    const b = take('train', 30, 3);
    expect(b.map((s) => s.caption)).toEqual(a.map((s) => s.caption));
    expect(b.map((s) => s.metadata)).toEqual(a.map((s) => s.metadata));
    expect(Buffer.concat(b.map((s) => s.pixels)).equals(Buffer.concat(a.map((s) => s.pixels)))).toBe(true);
    const other = take('train', 30, 4);
    expect(other.map((s) => s.caption)).not.toEqual(a.map((s) => s.caption));
    expect(Buffer.concat(other.map((s) => s.pixels)).equals(Buffer.concat(a.map((s) => s.pixels)))).toBe(false);
    // Sample i depends on (seed, split, i) alone: a shorter split is a prefix, another split differs.
    expect(take('train', 10, 3).map((s) => s.caption)).toEqual(a.slice(0, 10).map((s) => s.caption));
    expect(take('original', 30, 3).map((s) => s.caption)).not.toEqual(a.map((s) => s.caption));
    const big = take('train', 30, 3, 64);
    expect(big[0].pixels.length).toBe(64 * 64 * 3);
    expect(big.map((s) => [s.caption, s.metadata])).toEqual(a.map((s) => [s.caption, s.metadata]));
    expect(() => take('train', 1, 0, 31)).toThrow(/size must be an integer ≥ 32/);
  });

  it('every caption names each attribute once, as KEY.json says', () => {
    for (const split of ['train', 'only-fg', 'attributes'] as const) {
      for (const s of take(split, 1000, 5)) {
        const c = parseCaption(s.caption);
        expect(c.className).toBe(s.className);
        expect(s.metadata.label).toBe(s.label);
        for (const a of SYNTH_V2_ATTRIBUTE_NAMES) {
          expect(c[a], `${s.key}: "${s.caption}": ${a}`).toBe(s.metadata[`${a}Name`]);
          expect(SYNTH_V2_ATTRIBUTES[a][s.metadata[a] as number]).toBe(s.metadata[`${a}Name`]);
          expect(s.attributes[a]).toBe(s.metadata[a]);
        }
        expect(s.copies).toBe(s.attributes.count + 1);
      }
    }
  });

  it('captions match pixels at 64×64 and 128×128: background, count, size, position, colour and texture', () => {
    const none = Object.fromEntries(SYNTH_V2_ATTRIBUTE_NAMES.map((a) => [a, []]));
    expect(mismatches(take('attributes', 400, 7, 128), 128, [...SYNTH_V2_ATTRIBUTE_NAMES])).toEqual(none);
    // At 64×64 a small sandal or sneaker may have too few fully covered pixels to read its texture
    // from (1.1% of 1,000 samples), but none shows another texture.
    const { texture, ...rest } = mismatches(take('attributes', 600, 7, 64), 64, [...SYNTH_V2_ATTRIBUTE_NAMES]);
    expect(rest).toEqual({ ...none, texture: undefined });
    expect(texture.filter((line) => !/shows texture unclear/.test(line))).toEqual([]);
    expect(texture.length).toBeLessThanOrEqual(12);
  });

  it('captions match pixels at 32×32: background, count, position, colour; sizes in order', () => {
    const samples = take('attributes', 600, 8, 32);
    expect(mismatches(samples, 32, ['background', 'count', 'position', 'color'])).toEqual({
      background: [],
      count: [],
      position: [],
      color: [],
    });
    // A 5-pixel object's side is off by a pixel of antialiasing: the sides' means are ordered.
    const sides: Record<string, number[]> = { small: [], medium: [], large: [] };
    for (const s of samples) sides[s.size].push(...readPixels(s.pixels, 32, s.background, s.color).sides);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(sides.small)).toBeLessThan(mean(sides.medium));
    expect(mean(sides.medium)).toBeLessThan(mean(sides.large));
  });

  it('has 19,996 distinct captions (10,442 distinct object–attribute combinations) in a 20,000-sample training split, their similarity graded by shared words', () => {
    const [captions, combinations] = [new Set<string>(), new Set<string>()];
    for (const s of synthV2Samples(trainObjects, 20_000, 0, 'train')) {
      captions.add(s.caption);
      combinations.add(JSON.stringify(s.metadata)); // the object's class and its six attributes
    }
    expect(captions.size).toBe(19_996);
    expect(combinations.size).toBe(10_442);
    // Word overlap (Jaccard) of caption pairs: sharing object and colour is closer than sharing only the background.
    const samples = take('train', 400, 9);
    const words = samples.map((s) => new Set(s.caption.split(/[\s,]+/)));
    const jaccard = (i: number, j: number) => {
      const both = [...words[i]].filter((w) => words[j].has(w)).length;
      return both / (words[i].size + words[j].size - both);
    };
    const [objectAndColour, onlyBackground]: number[][] = [[], []];
    for (let i = 0; i < samples.length; i++)
      for (let j = i + 1; j < samples.length; j++) {
        const [x, y] = [samples[i], samples[j]];
        const shared = SYNTH_V2_ATTRIBUTE_NAMES.filter((a) => x.attributes[a] === y.attributes[a]);
        if (x.label === y.label && shared.length === 1 && shared[0] === 'color') objectAndColour.push(jaccard(i, j));
        if (x.label !== y.label && shared.length === 1 && shared[0] === 'background') onlyBackground.push(jaccard(i, j));
      }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(objectAndColour.length).toBeGreaterThan(20);
    expect(mean(objectAndColour)).toBeGreaterThan(mean(onlyBackground));
  }, 300_000);

  it("splits keep v1's background rules; in `attributes` every attribute is uniform", () => {
    for (const s of take('only-fg', 200, 2)) {
      expect(s.background).toBe('black');
      expect(parseCaption(s.caption).background).toBe('black');
    }
    const own = (split: SynthV2Split) => {
      const xs = take(split, 2000, 2);
      return xs.filter((s) => s.background === classBackground(s.label)).length / xs.length;
    };
    expect(own('original')).toBeGreaterThan(BACKGROUND_CORRELATION);
    expect(own('mixed-same')).toBeGreaterThan(BACKGROUND_CORRELATION);
    expect(own('mixed-rand')).toBeLessThan(0.3);
    expect(own('attributes')).toBeLessThan(0.3);
    const xs = take('attributes', 3000, 3);
    for (const a of SYNTH_V2_ATTRIBUTE_NAMES) {
      const values = a === 'background' ? 5 : SYNTH_V2_ATTRIBUTES[a].length; // never black there
      const counts = new Array(SYNTH_V2_ATTRIBUTES[a].length).fill(0);
      for (const s of xs) counts[s.attributes[a]]++;
      for (let v = 0; v < values; v++)
        expect(Math.abs(counts[v] / xs.length - 1 / values), `${a} ${v}`).toBeLessThan(0.3 / values);
      if (a === 'background') expect(counts[5]).toBe(0);
    }
  });
});

it('the README "synth v2" block runs and logs what it says', async () => {
  const readme = fs.readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const section = readme.split('\n## synth v2: a compositional captioned set\n')[1]?.split('\n## ')[0];
  const block = section?.match(/```js\n([\s\S]*?)```/)?.[1];
  expect(block).toBeDefined();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-readme-')), 'README.md');
  fs.writeFileSync(file, section!);
  const logged = await runReadmeExample(file, fileURLToPath(new URL('.', import.meta.url)));
  const said = block!
    .split('\n')
    .filter((line) => line.startsWith('// '))
    .map((line) => line.slice(3));
  expect(logged).toEqual(said);
});

describe('synth v2 on disk', () => {
  it('writeWebDataset consumes the v2 generator as it writes: at most one shard and a few samples ahead', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-synth2-lazy-'));
    let produced = 0;
    let maxAhead = 0;
    function* counted(): Generator<SynthV2Sample> {
      for (const sample of synthV2Samples(testObjects, 600, 6, 'train', { size: 64 })) {
        const written = fs.readdirSync(dir).filter((f) => f.endsWith('.tar')).length * 200;
        maxAhead = Math.max(maxAhead, ++produced - written);
        yield sample;
      }
    }
    expect(await writeWebDataset(counted(), dir, 'lazy', 200)).toHaveLength(3);
    expect(maxAhead).toBeLessThanOrEqual(200 + 8); // the shard being written and the PNGs being encoded
  });

  it('writeSynthSplits({ version: 2 }) writes six splits at 64×64; openDataset reads them, attributes included', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-synth2-'));
    const lines: string[] = [];
    await writeSynthSplits({
      out,
      trainCount: 250,
      testCount: 20,
      seed: 4,
      shardSize: 100,
      size: 64,
      version: 2,
      log: (l) => lines.push(l),
    });
    fs.writeFileSync(path.join(out, SYNTH_COMPLETE_MARKER), ''); // as synthDir does: openDataset reads the folder as it is
    expect(lines).toEqual(
      ['train', 'original', 'only-fg', 'mixed-same', 'mixed-rand', 'attributes'].map(
        (split) =>
          `${split}: ${split === 'train' ? 250 : 20} samples (64×64) in ${split === 'train' ? 3 : 1} shards under ${path.join(out, split)}`,
      ),
    );
    const shards = fs
      .readdirSync(path.join(out, 'train'))
      .sort()
      .map((f) => path.join(out, 'train', f));
    expect((await indexWebDataset(shards)).units.map((u) => u.samples)).toEqual([100, 100, 50]);
    // Every sample is the generator's: key, caption, KEY.json, and (every 10th) the pixels.
    const expected = synthV2Samples(trainObjects, 250, 4, 'train', { size: 64 });
    let x: SynthV2Sample | undefined;
    let n = 0;
    for (const shard of shards)
      for await (const file of readTar(shard)) {
        if (file.name.endsWith('.png')) {
          x = expected.next().value as SynthV2Sample;
          expect(file.name).toBe(`${x.key}.png`);
          if (n++ % 10 === 0) expect((await sharp(file.data).raw().toBuffer()).equals(Buffer.from(x.pixels))).toBe(true);
        } else if (file.name.endsWith('.txt')) expect(file.data.toString()).toBe(x!.caption);
        else expect(JSON.parse(file.data.toString())).toEqual(x!.metadata);
      }
    expect(n).toBe(250);

    const opened = await openDataset(
      { dataset: 'synth', path: out, imageSize: 64, synth: { train: 250, test: 20, seed: 4, size: 64, version: 2 } },
      { log: () => {} },
    );
    expect(opened.test.name).toBe('synth/original');
    expect(Object.keys(opened.extraTests)).toEqual(['only-fg', 'mixed-same', 'mixed-rand', 'attributes']);
    const probe = opened.extraTests.attributes;
    const truth = take('attributes', 20, 4, 64);
    expect(Object.keys(probe.attributes!).sort()).toEqual([...SYNTH_V2_ATTRIBUTE_NAMES].sort());
    for (const a of SYNTH_V2_ATTRIBUTE_NAMES) expect(Array.from(probe.attributes![a])).toEqual(truth.map((s) => s.attributes[a]));
    expect(Array.from(probe.labels!)).toEqual(truth.map((s) => s.label));
    expect(Buffer.from(probe.pixels).equals(Buffer.concat(truth.map((s) => s.pixels)))).toBe(true);
    // The attributes follow a subset; readWebDataset reads them from any shards whose KEY.json has integer fields.
    expect(Array.from(subsetOf(probe, [3, 1]).attributes!.size)).toEqual([truth[3].attributes.size, truth[1].attributes.size]);
    const { dataset } = await readWebDataset(shards.slice(2));
    expect(Array.from(dataset.attributes!.count)).toEqual(
      Array.from(synthV2Samples(trainObjects, 250, 4, 'train'), (s) => s.attributes.count).slice(200),
    );
  }, 300_000);

  it('synthDir names a v2 set apart from v1', async () => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-synth2-cache-'));
    for (const name of ['synth-v2-train20-test4-seed0-size64', 'synth-v1-train20-test4-seed0-size64']) {
      fs.mkdirSync(path.join(cacheDir, name));
      fs.writeFileSync(path.join(cacheDir, name, SYNTH_COMPLETE_MARKER), '');
    }
    const dir = (version?: 1 | 2) => synthDir({ synth: { train: 20, test: 4, seed: 0, size: 64, version } }, { cacheDir });
    expect(path.basename(await dir(2))).toBe('synth-v2-train20-test4-seed0-size64');
    expect(path.basename(await dir())).toBe('synth-v1-train20-test4-seed0-size64');
  });
});
