import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exactTopK, exactTopKOnnx, loadOnnxRuntime, mergeTopKShards, normalizeRows, parseShard, readEmbeddingsFile, readTopKFile, writeEmbeddingsFile, writeTopKFile } from '../src/index.js';

function randomUnitRows(n: number, dim: number, seed: number): Float32Array {
  let s = seed;
  const rand = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  return normalizeRows(Float32Array.from({ length: n * dim }, rand), dim);
}

function bruteForce(e: Float32Array, dim: number, k: number): number[][] {
  const n = e.length / dim;
  return Array.from({ length: n }, (_, i) => {
    const sims = Array.from({ length: n }, (_, j) => [j, e.subarray(i * dim, i * dim + dim).reduce((s, v, t) => s + v * e[j * dim + t], 0)] as const);
    return sims
      .filter(([j]) => j !== i)
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([j]) => j);
  });
}

describe('exact top-k graphs', () => {
  const dim = 16;
  const n = 300;
  const e = randomUnitRows(n, dim, 7);

  it('equals a brute-force computation, self excluded, scores descending, in any block size', async () => {
    const expected = bruteForce(e, dim, 5);
    for (const blockRows of [64, 1000]) {
      const g = await exactTopK(e, dim, 'x.arrow', { k: 5, blockRows });
      for (let i = 0; i < n; i++) {
        expect(new Set(g.neighbors.subarray(i * 5, i * 5 + 5))).toEqual(new Set(expected[i]));
        expect(g.neighbors.subarray(i * 5, i * 5 + 5)).not.toContain(i);
        for (let t = 1; t < 5; t++) expect(g.scores[i * 5 + t]).toBeLessThanOrEqual(g.scores[i * 5 + t - 1]);
      }
    }
  });

  it('shards of an array job merge into the full graph; an incomplete set is refused', async () => {
    const full = await exactTopK(e, dim, 'x.arrow', { k: 4, blockRows: 32 });
    const shards = await Promise.all([0, 1, 2].map((index) => exactTopK(e, dim, 'x.arrow', { k: 4, blockRows: 32, shard: { index, count: 3 } })));
    const merged = mergeTopKShards([shards[2], shards[0], shards[1]]);
    expect(Array.from(merged.neighbors)).toEqual(Array.from(full.neighbors));
    expect(() => mergeTopKShards([shards[0], shards[2]])).toThrow('incomplete shard set: missing 1/3');
    expect(() => mergeTopKShards([shards[0], shards[0], shards[1]])).toThrow('shard 0/3 given twice');
    expect(parseShard('2/5')).toEqual({ index: 2, count: 5 });
    expect(() => parseShard('5/5')).toThrow(/expected i\/n with 0 ≤ i < n/);
  });

  it('onnxruntime gives the brute-force neighbours and the tfjs engine\'s scores, in shards, and duplicates do not leak self', async () => {
    const { ort, reason } = await loadOnnxRuntime();
    expect(ort, reason).not.toBeNull();
    const expected = bruteForce(e, dim, 5);
    const tfjs = await exactTopK(e, dim, 'x.arrow', { k: 5, blockRows: 64 });
    for (const blockRows of [64, 1000]) {
      const g = await exactTopKOnnx(ort!, e, dim, 'x.arrow', { k: 5, blockRows });
      expect(Array.from(g.rows)).toEqual(Array.from({ length: n }, (_, i) => i));
      for (let i = 0; i < n; i++) expect(new Set(g.neighbors.subarray(i * 5, i * 5 + 5))).toEqual(new Set(expected[i]));
      for (let t = 0; t < n * 5; t++) expect(g.scores[t]).toBeCloseTo(tfjs.scores[t], 5);
    }
    const shards = await Promise.all([0, 1].map((index) => exactTopKOnnx(ort!, e, dim, 'x.arrow', { k: 5, blockRows: 32, shard: { index, count: 2 } })));
    expect(Array.from(mergeTopKShards(shards).neighbors)).toEqual(Array.from((await exactTopKOnnx(ort!, e, dim, 'x.arrow', { k: 5, blockRows: 32 })).neighbors));
    // Exact duplicates tie with the row itself: each row still lists k other rows, never itself.
    const dup = new Float32Array(6 * dim);
    for (let r = 0; r < 6; r++) dup.set(e.subarray((r % 3) * dim, (r % 3 + 1) * dim), r * dim);
    const g = await exactTopKOnnx(ort!, dup, dim, 'd', { k: 3 });
    for (let r = 0; r < 6; r++) expect(Array.from(g.neighbors.subarray(r * 3, r * 3 + 3))).not.toContain(r);
    await expect(exactTopKOnnx(ort!, e.subarray(0, 4 * dim), dim, 'x', { k: 4 })).rejects.toThrow('exactTopKOnnx: k must satisfy 1 ≤ k < N = 4');
  });

  it('k ≥ N is a clear error', async () => {
    await expect(exactTopK(e.subarray(0, 4 * dim), dim, 'x', { k: 4 })).rejects.toThrow('exactTopK: k must satisfy 1 ≤ k < N = 4 (self is excluded), got 4');
  });
});

describe('Arrow files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-arrow-'));

  it('embeddings round-trip with their schema metadata', () => {
    const e = randomUnitRows(5, 3, 1);
    const file = path.join(dir, 'emb.arrow');
    writeEmbeddingsFile(file, { ids: ['a', 'b', 'c', 'd', 'é'], dim: 3, embeddings: e, encoder: 'use-lite', normalized: true });
    const back = readEmbeddingsFile(file);
    expect(back).toEqual({ ids: ['a', 'b', 'c', 'd', 'é'], dim: 3, embeddings: e, encoder: 'use-lite', normalized: true });
  });

  it('top-k graphs round-trip', async () => {
    const e = randomUnitRows(20, 4, 2);
    const g = await exactTopK(e, 4, 'emb.arrow', { k: 3 });
    const file = path.join(dir, 'topk.arrow');
    writeTopKFile(file, g);
    const back = readTopKFile(file);
    expect(back.k).toBe(3);
    expect(back.source).toBe('emb.arrow');
    expect(Array.from(back.neighbors)).toEqual(Array.from(g.neighbors));
    expect(Array.from(back.scores)).toEqual(Array.from(g.scores));
  });

  it('clear errors: wrong schema, NaN and zero-norm rows, a file that is not Arrow', () => {
    const file = path.join(dir, 'bad.arrow');
    writeTopKFile(file, { k: 1, neighbors: Int32Array.from([1, 0]), scores: Float32Array.from([1, 1]), source: 's' });
    expect(() => readEmbeddingsFile(file)).toThrow(
      `${file}: expected an xclr embeddings file (id: Utf8, embedding: FixedSizeList<Float32, dim>), but this is an xclr top-k file`,
    );
    const nan = path.join(dir, 'nan.arrow');
    writeEmbeddingsFile(nan, { ids: ['x', 'y'], dim: 2, embeddings: Float32Array.from([1, 0, Number.NaN, 1]), encoder: 'e', normalized: false });
    expect(() => readEmbeddingsFile(nan)).toThrow(`${nan}: embedding row 1 (id y) contains NaN`);
    const zero = path.join(dir, 'zero.arrow');
    writeEmbeddingsFile(zero, { ids: ['x', 'y'], dim: 2, embeddings: Float32Array.from([0, 0, 1, 1]), encoder: 'e', normalized: false });
    expect(() => readEmbeddingsFile(zero)).toThrow(`${zero}: embedding row 0 (id x) has zero norm`);
    const text = path.join(dir, 'text.arrow');
    fs.writeFileSync(text, 'hello');
    expect(() => readEmbeddingsFile(text)).toThrow(new RegExp(`${text}: not an Arrow IPC file`));
    expect(() => writeEmbeddingsFile(path.join(dir, 'n.arrow'), { ids: ['a'], dim: 3, embeddings: new Float32Array(2), encoder: 'e', normalized: true })).toThrow(
      /2 values for 1 ids × dim 3/,
    );
  });
});
