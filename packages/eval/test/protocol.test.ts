import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type EmbedFn,
  type EvalImages,
  evalFeatureSets,
  evalIndices,
  extractFeatures,
  headlineK,
  heldOutKnn,
  knnBySplit,
  linearBySplit,
  pixelRows,
  retrievalScores,
  scoreFeatureSets,
} from '../src/index.js';
import { evaluateEncoder } from '../src/protocol.js';

const H = 8;
const W = 8;

/** 3 classes of distinct 8×8×1 patterns (horizontal stripes, vertical stripes, checkerboard) plus noise. */
function patterns(name: string, size: number, seed: number, options: { invert?: boolean; captions?: boolean } = {}): EvalImages {
  let state = seed >>> 0 || 1;
  const noise = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const pixels = new Uint8Array(size * H * W);
  const labels = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const c = i % 3;
    labels[i] = c;
    for (let r = 0; r < H; r++) {
      for (let col = 0; col < W; col++) {
        const on = c === 0 ? r % 2 : c === 1 ? col % 2 : (r + col) % 2;
        const v = on * 180 + Math.floor(noise() * 60);
        pixels[i * H * W + r * W + col] = options.invert ? 255 - v : v;
      }
    }
  }
  return {
    name,
    source: 'generated',
    size,
    height: H,
    width: W,
    channels: 1,
    pixels,
    labels,
    classNames: ['horizontal', 'vertical', 'checker'],
    captions: options.captions ? Array.from({ length: size }, (_, i) => `image ${i}`) : undefined,
  };
}

const flatten: EmbedFn = (x) => tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D;
const train = patterns('gen/train', 60, 1);
const test = patterns('gen/test', 30, 2);
const settings = { knnK: [1, 5, 20], linearEpochs: 25 };

const tmpDirs: string[] = [];
afterEach(() => {
  for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const tmpDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-eval-protocol-'));
  tmpDirs.push(d);
  return d;
};

describe('evaluation rows', () => {
  it('evalIndices is a fixed even-stride spread; 0 or more than the size means all', async () => {
    expect(Array.from(evalIndices({ size: 10 }, 5))).toEqual([0, 2, 4, 6, 8]);
    expect(Array.from(evalIndices({ size: 4 }, 0))).toEqual([0, 1, 2, 3]);
    expect(Array.from(evalIndices({ size: 4 }, 9))).toEqual([0, 1, 2, 3]);
    expect(() => evalIndices({ size: 4 }, -1)).toThrow('evalIndices: size must be a non-negative integer');
  });

  it('pixelRows scales the picked images to [0, 1]', async () => {
    const rows = pixelRows(train, [2, 0]);
    expect(rows.length).toBe(2 * H * W);
    expect(rows[0]).toBeCloseTo(train.pixels[2 * H * W] / 255, 7);
    expect(rows[H * W + 5]).toBeCloseTo(train.pixels[5] / 255, 7);
    expect(() => pixelRows(train, [60])).toThrow('gen/train: image index 60 is out of range [0, 60)');
  });

  it('extractFeatures does not depend on the batch size and leaves no tensors', async () => {
    const before = tf.memory().numTensors;
    const a = await extractFeatures(flatten, train, evalIndices(train, 0), 7);
    const b = await extractFeatures(flatten, train, evalIndices(train, 0));
    expect(tf.memory().numTensors).toBe(before);
    expect(a.rows).toBe(60);
    expect(a.dim).toBe(H * W);
    expect(a.data).toEqual(b.data);
    expect(a.data).toEqual(pixelRows(train, evalIndices(train, 0)));
  });

  it('headlineK prefers 20', async () => {
    expect(headlineK([1, 10, 20, 200])).toBe(20);
    expect(headlineK([5, 1])).toBe(5);
  });
});

describe('evaluateEncoder', () => {
  it('with a flatten-pixels encoder, the encoder numbers equal the raw-pixel baseline, extra splits included', async () => {
    const shifted = patterns('gen/inverted', 30, 3, { invert: true });
    const graph = Float32Array.from([1, 0.2, 0.5, 0.2, 1, 0.5, 0.5, 0.5, 1]);
    const r = await evaluateEncoder({
      embed: flatten,
      train,
      test,
      extraTests: { inverted: shifted },
      targetGraph: graph,
      ...settings,
    });
    expect(r.trainSize).toBe(60);
    expect(r.testSize).toBe(30);
    expect(r.knn).toEqual(r.baselineKnn);
    expect(r.linear.top1).toBe(r.baselineLinear.top1);
    expect(r.linear.top5).toBe(r.baselineLinear.top5);
    expect(Object.keys(r.knn).map(Number)).toEqual([1, 5, 20]);
    expect(r.knn[1]).toBeGreaterThan(0.9); // the patterns are separable
    expect(Object.keys(r.splits)).toEqual(['inverted']);
    const s = r.splits.inverted;
    expect(s.knnTop1).toBe(s.baselineKnnTop1);
    expect(s.linearTop1).toBe(s.baselineLinearTop1);
    for (const v of Object.values(s)) expect(v).toBeGreaterThanOrEqual(0);
    expect(r.learnedClassSimilarity).toHaveLength(9);
    expect(r.learnedClassSimilarity[0]).toBeCloseTo(1, 5);
    expect(r.graphCorrelation?.pearson).toBeTypeOf('number');
    expect(r.retrieval).toBeUndefined();
  });

  it('attribute probes on an attribute split: object and each attribute, encoder and raw pixels, cached with the baseline', async () => {
    // `stroke` is drawn into the pixels (a bright first column); `parity` is not in the pixels at all.
    const n = 160;
    const base = patterns('gen/attributes', n, 4);
    const stroke = Int32Array.from({ length: n }, (_, i) => Math.floor(i / 3) % 2);
    const parity = Int32Array.from({ length: n }, (_, i) => Math.floor(i / 6) % 2);
    const pixels = base.pixels.slice();
    for (let i = 0; i < n; i++)
      if (stroke[i]) for (let r = 0; r < H; r++) pixels.fill(255, i * H * W + r * W, i * H * W + r * W + 2);
    const attrs: EvalImages = { ...base, pixels, attributes: { stroke, parity } };
    const cacheDir = tmpDir();
    const stages: string[] = [];
    const o = { embed: flatten, train, test, extraTests: { attrs }, attributeSplit: 'attrs', cacheDir, ...settings };
    const r = await evaluateEncoder({ ...o, onStage: (_d, _t, label) => stages.push(label) });
    const a = r.attributes!;
    expect(a.split).toBe('attrs');
    expect(a.rows).toBe(n);
    expect(Object.keys(a.encoder)).toEqual(['object', 'stroke', 'parity']);
    expect(a.encoder).toEqual(a.baseline); // the flatten encoder is the pixels
    expect(a.encoder.object.top1).toBeGreaterThan(0.9);
    expect(a.encoder.stroke.top1).toBeGreaterThan(0.9);
    expect(a.encoder.parity.top1).toBeLessThan(0.8);
    expect(a.encoder.object.values).toBe(3);
    const again = await evaluateEncoder({ ...o, onStage: (_d, _t, label) => stages.push(label) });
    expect(again.attributes).toEqual(a);
    expect(stages.filter((s) => s.startsWith('raw-pixel'))).toEqual(['raw-pixel baseline', 'raw-pixel baseline (cached)']);
    // Another seed splits other rows: a new baseline, not the cached one.
    await evaluateEncoder({ ...o, attributeSeed: 1, onStage: (_d, _t, label) => stages.push(label) });
    expect(stages.at(-2)).toBe('raw-pixel baseline');
    await expect(evaluateEncoder({ ...o, attributeSplit: 'nope' })).rejects.toThrow(
      'attributeSplit: "nope" is not an evaluated test split (test, attrs)',
    );
    await expect(evaluateEncoder({ ...o, attributeSplit: 'test' })).rejects.toThrow(
      'attributeSplit: gen/test (the test split) has no attributes to probe',
    );
  });

  it('an encoder that is not the identity scores differently from the baseline', async () => {
    // Features that ignore the image: every test row ties, so kNN falls to chance while pixels are separable.
    const constant: EmbedFn = (x) => tf.ones([x.shape[0], 4]) as tf.Tensor2D;
    const r = await evaluateEncoder({ embed: constant, train, test, ...settings });
    expect(r.baselineKnn[1]).toBeGreaterThan(0.9);
    expect(r.knn[1]).toBeLessThan(0.5);
  });

  it('trainSize / testSize take an even spread', async () => {
    const seen: number[] = [];
    const counting: EmbedFn = (x) => {
      seen.push(x.shape[0]);
      return flatten(x);
    };
    const r = await evaluateEncoder({ embed: counting, train, test, trainSize: 30, testSize: 12, batch: 16, ...settings });
    expect(r.trainSize).toBe(30);
    expect(r.testSize).toBe(12);
    expect(seen).toEqual([16, 14, 12]);
  });

  it('caches the raw-pixel baseline by content: hit on a second call, recomputed when one pixel changes', async () => {
    const cacheDir = tmpDir();
    const stages: string[] = [];
    const onStage = (done: number, total: number, label: string) => stages.push(`${done}/${total} ${label}`);
    const first = await evaluateEncoder({ embed: flatten, train, test, cacheDir, onStage, ...settings });
    const files = fs.readdirSync(cacheDir);
    expect(files).toHaveLength(1);
    expect(stages).toContain('3/4 raw-pixel baseline');
    // Mark the cached numbers: a second call must return them without recomputing.
    const file = path.join(cacheDir, files[0]);
    const cached = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(cached.knn[1]).toBe(first.baselineKnn[1]);
    cached.knn[1] = 0.123;
    fs.writeFileSync(file, JSON.stringify(cached));
    stages.length = 0;
    const second = await evaluateEncoder({ embed: flatten, train, test, cacheDir, onStage, ...settings });
    expect(second.baselineKnn[1]).toBe(0.123);
    expect(stages).toEqual([
      '1/4 encoder features',
      '2/4 kNN and linear probe',
      '3/4 raw-pixel baseline (cached)',
      '4/4 class similarity',
    ]);
    // Same names and sizes, one pixel different: a new key, numbers recomputed.
    const pixels = test.pixels.slice();
    pixels[100] ^= 1;
    const third = await evaluateEncoder({ embed: flatten, train, test: { ...test, pixels }, cacheDir, ...settings });
    expect(third.baselineKnn[1]).not.toBe(0.123);
    expect(third.baselineKnn[1]).toBe(first.baselineKnn[1]);
    expect(fs.readdirSync(cacheDir)).toHaveLength(2);
    // Different settings: a new key too.
    await evaluateEncoder({ embed: flatten, train, test, cacheDir, ...settings, linearEpochs: 10 });
    expect(fs.readdirSync(cacheDir)).toHaveLength(3);
    expect(fs.readdirSync(cacheDir).every((f) => f.endsWith('.json'))).toBe(true); // no temp files left
  });

  it('a changed label also changes the cache key', async () => {
    const cacheDir = tmpDir();
    await evaluateEncoder({ embed: flatten, train, test, cacheDir, ...settings });
    const labels = train.labels!.slice();
    labels[0] = 1;
    await evaluateEncoder({ embed: flatten, train: { ...train, labels }, test, cacheDir, ...settings });
    expect(fs.readdirSync(cacheDir)).toHaveLength(2);
  });

  it('leaves no tensors behind, also when the encoder throws', async () => {
    const before = tf.memory().numTensors;
    await evaluateEncoder({
      embed: (x) => tf.relu(flatten(x)) as tf.Tensor2D,
      train,
      test: patterns('gen/test-captioned', 30, 2, { captions: true }),
      extraTests: { again: test },
      targetGraph: new Float32Array(9),
      retrieval: {
        embedImages: flatten,
        embedText: (captions) =>
          tf.tensor2d(
            pixelRows(
              test,
              captions.map((c) => Number(c.split(' ')[1])),
            ),
            [captions.length, H * W],
          ),
      },
      ...settings,
    });
    expect(tf.memory().numTensors).toBe(before);
    let calls = 0;
    const failing: EmbedFn = (x) => {
      if (++calls === 2) throw new Error('encoder failed');
      return flatten(x);
    };
    await expect(evaluateEncoder({ embed: failing, train, test, batch: 20, ...settings })).rejects.toThrow('encoder failed');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('clear errors name the dataset', async () => {
    const unlabelled = { ...test, name: 'gen/unlabelled', labels: undefined };
    await expect(evaluateEncoder({ embed: flatten, train, test: unlabelled, ...settings })).rejects.toThrow(
      'gen/unlabelled: evaluation needs class labels, and gen/unlabelled has none',
    );
    const wrongShape = { ...patterns('gen/small', 12, 4), height: 4, width: 16 };
    await expect(
      evaluateEncoder({ embed: flatten, train, test, extraTests: { small: wrongShape }, ...settings }),
    ).rejects.toThrow("gen/small: images are 4×16×1, gen/train's are 8×8×1");
    const truncated = { ...test, pixels: test.pixels.subarray(0, 100) };
    await expect(evaluateEncoder({ embed: flatten, train, test: truncated, ...settings })).rejects.toThrow(
      'gen/test: 100 pixel bytes for 30 images of 8×8×1',
    );
    const badLabel = { ...test, labels: Int32Array.from(test.labels!, (l) => (l === 2 ? 7 : l)) };
    await expect(evaluateEncoder({ embed: flatten, train, test: badLabel, ...settings })).rejects.toThrow(
      'gen/test: label 7 is outside the 3 classes [0, 3)',
    );
    const before = tf.memory().numTensors;
    await expect(
      evaluateEncoder({ embed: (x) => tf.reshape(x, [-1]) as unknown as tf.Tensor2D, train, test, ...settings }),
    ).rejects.toThrow('gen/train: embed must return a [60, d] tensor for 60 images, got shape [3840]');
    expect(tf.memory().numTensors).toBe(before);
    await expect(evaluateEncoder({ embed: flatten, train, test, targetGraph: new Float32Array(4), ...settings })).rejects.toThrow(
      'targetGraph: 4 values for 3 classes (expected 9)',
    );
  });
});

describe('scores by split', () => {
  it('knnBySplit and linearBySplit score the test set and every extra split with one bank and one probe', async () => {
    const shifted = patterns('gen/shifted', 30, 3, { invert: true });
    const sets = await evalFeatureSets({ embed: flatten, train, test, extraTests: { shifted } });
    const both = await scoreFeatureSets(sets, settings);
    const knn = await knnBySplit(sets, settings.knnK);
    expect(Object.keys(knn)).toEqual(['test', 'shifted']);
    expect(knn.test).toEqual(both.knn);
    expect(knn.shifted[20]).toBe(both.splits.shifted.knnTop1);
    const linear = await linearBySplit(sets, settings.linearEpochs);
    expect(linear.top1).toBe(both.linear.top1);
    expect(linear.splits.shifted.top1).toBe(both.splits.shifted.linearTop1);
  });
});

describe('retrieval', () => {
  const captioned = patterns('gen/captioned', 30, 5, { captions: true });
  const idx = evalIndices(captioned, 12); // a subset, so rows must be picked by index
  const byCaption = (captions: readonly string[]) =>
    tf.tensor2d(
      pixelRows(
        captioned,
        captions.map((c) => Number(c.split(' ')[1])),
      ),
      [captions.length, H * W],
    );

  it('an identity text tower gives recall@1 = 1 (caption text, and frozen caption rows)', async () => {
    const words = await retrievalScores(captioned, idx, { embedImages: flatten, embedText: byCaption });
    expect(words).toEqual({ imageToText: { 1: 1, 5: 1, 10: 1 }, textToImage: { 1: 1, 5: 1, 10: 1 } });
    const rows = pixelRows(captioned, evalIndices(captioned, 0));
    const lit = await retrievalScores(captioned, idx, {
      embedImages: flatten,
      embedText: (_, r) => tf.tensor2d(r!, [idx.length, H * W]),
      rows,
    });
    expect(lit.imageToText[1]).toBe(1);
    expect(lit.textToImage[1]).toBe(1);
  });

  it('a text tower that mismatches the pairs scores below 1', async () => {
    const shifted = (captions: readonly string[]) => byCaption([...captions.slice(1), captions[0]]);
    expect((await retrievalScores(captioned, idx, { embedImages: flatten, embedText: shifted })).imageToText[1]).toBeLessThan(
      0.5,
    );
  });

  it('runs inside evaluateEncoder on the evaluated test rows', async () => {
    const r = await evaluateEncoder({
      embed: flatten,
      train,
      test: captioned,
      testSize: 12,
      retrieval: { embedImages: flatten, embedText: byCaption },
      ...settings,
    });
    expect(r.retrieval?.imageToText[1]).toBe(1);
  });

  it('a test set without captions is a clear error', async () => {
    await expect(retrievalScores(test, idx, { embedImages: flatten, embedText: byCaption })).rejects.toThrow(
      'gen/test: retrieval needs one caption per image, and gen/test has none',
    );
  });
});

describe('heldOutKnn', () => {
  it('is about 1 on separable data and about chance on labels the images do not carry', async () => {
    const big = patterns('gen/big', 300, 7);
    expect(await heldOutKnn(flatten, big, { bank: 150, queries: 60 })).toBeGreaterThanOrEqual(0.98);
    const scrambled = { ...big, labels: Int32Array.from({ length: 300 }, (_, i) => Math.floor(i / 3) % 3) };
    expect(await heldOutKnn(flatten, scrambled, { bank: 150, queries: 60 })).toBeLessThan(0.7);
  });

  it('never puts a query in the bank, even when the dataset is smaller than the bank', async () => {
    // Each image's first pixel is its index, so the encoder can see which images it is given.
    const seen: number[][] = [];
    const base = patterns('gen/indexed', 40, 8);
    const pixels = base.pixels.slice();
    for (let i = 0; i < 40; i++) pixels[i * H * W] = i;
    const recording: EmbedFn = (x) => {
      const first = tf.tidy(() => tf.round(tf.mul(tf.slice(tf.reshape(x, [x.shape[0], -1]), [0, 0], [-1, 1]), 255)).dataSync());
      seen.push(Array.from(first));
      return flatten(x);
    };
    const acc = await heldOutKnn(recording, { ...base, pixels }, { k: 5 });
    const [bank, queries] = seen;
    expect(queries.length).toBe(20);
    expect(bank.length).toBe(20);
    expect(bank.filter((i) => queries.includes(i))).toEqual([]);
    expect(acc).toBeGreaterThanOrEqual(0.9);
  });

  it('a class order that aliases with the even stride is a clear error, not a silent 0', async () => {
    const alternating = { ...train, name: 'gen/alternating', labels: Int32Array.from({ length: 60 }, (_, i) => i % 2) };
    await expect(heldOutKnn(flatten, alternating)).rejects.toThrow('gen/alternating: every held-out kNN bank image has class 0');
  });

  it('a dataset without labels is a clear error', async () => {
    await expect(heldOutKnn(flatten, { ...train, labels: undefined })).rejects.toThrow(
      'gen/train: evaluation needs class labels',
    );
  });
});

describe('entry points', () => {
  it('the protocol core imports no Node built-ins (browser-safe root entry)', async () => {
    const src = path.join(import.meta.dirname, '..', 'src');
    const visit = (file: string, seen: Set<string>) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = fs.readFileSync(path.join(src, file), 'utf8');
      for (const m of text.matchAll(/from '([^']+)'/g)) {
        expect(m[1], `${file} imports ${m[1]}`).not.toMatch(/^node:|^(fs|path|crypto|os)$/);
        if (m[1].startsWith('./')) visit(m[1].slice(2).replace(/\.js$/, '.ts'), seen);
      }
    };
    const seen = new Set<string>();
    visit('index.ts', seen);
    expect(seen).toContain('encoder-eval.ts');
    expect(seen.size).toBeGreaterThan(3);
  });

  it('the package exports the Node-only protocol as a subpath', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '..', 'package.json'), 'utf8'));
    expect(pkg.exports['./protocol']).toEqual({
      '@xclr/source': './src/protocol.ts',
      types: './dist/protocol.d.ts',
      import: './dist/protocol.js',
      default: './dist/protocol.js',
    });
    const viaPackage = await import('@xclr/eval/protocol');
    expect(typeof viaPackage.evaluateEncoder).toBe('function');
    expect(typeof viaPackage.heldOutKnn).toBe('function');
  });
});
