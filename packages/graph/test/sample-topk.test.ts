import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import {
  batchSimilarityFromTopK,
  exactTopK,
  readTopKFile,
  topKGraphForKeys,
  writeEmbeddingsFile,
  writeTableAtomic,
  writeTopKFile,
} from '../src/index.js';
import { unitRows } from './helpers/embeddings.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-sample-topk-'));
const file = (name: string) => path.join(dir, name);

function writeIds(name: string, ids: string[]): string {
  writeEmbeddingsFile(file(name), { ids, dim: 2, embeddings: unitRows(ids.length, 2, 1), encoder: 'test', normalized: true });
  return file(name);
}

function writeGraph(name: string, k: number, neighbors: number[], scores: number[]): string {
  writeTopKFile(file(name), { k, neighbors: Int32Array.from(neighbors), scores: Float32Array.from(scores), source: 'hand' });
  return file(name);
}

// Five file rows a … e; each row's two neighbours (file rows, -1 for none) and scores.
const emb = writeIds('emb.arrow', ['a', 'b', 'c', 'd', 'e']);
// biome-ignore format: one file row per line
const topk = writeGraph('topk.arrow', 2, [
  1, 2,   // a: b, c
  0, 4,   // b: a, e
  3, -1,  // c: d, none
  4, 0,   // d: e, a
  2, 1,   // e: c, b
], [0.9, 0.8, 0.7, 0.6, 0.5, 0, 0.4, 0.3, 0.2, 0.1]);

describe('topKGraphForKeys', () => {
  it('gives sample i the row of keys[i] and maps neighbours to sample indices, -1 outside the keys', async () => {
    // Samples in another order than the file, and e (a file row) is not a sample.
    const g = await topKGraphForKeys(topk, emb, ['d', 'a', 'c', 'b']);
    expect(g.k).toBe(2);
    expect(g.source).toBe('hand');
    // d: e (not a sample), a = 1 · a: b = 3, c = 2 · c: d = 0, none · b: a = 1, e (not a sample)
    expect(Array.from(g.neighbors)).toEqual([-1, 1, 3, 2, 0, -1, 1, -1]);
    expect(Array.from(g.scores)).toEqual(Array.from(Float32Array.from([0, 0.3, 0.9, 0.8, 0.5, 0, 0.7, 0])));
    expect(g.outside).toBe(2);
    // The identity order gives the file's graph back.
    const same = await topKGraphForKeys(topk, emb, ['a', 'b', 'c', 'd', 'e']);
    expect(Array.from(same.neighbors)).toEqual(Array.from(readTopKFile(topk).neighbors));
    expect(same.outside).toBe(0);
  });

  it('batchSimilarityFromTopK skips -1 neighbours', async () => {
    const g = await topKGraphForKeys(topk, emb, ['d', 'a', 'c', 'b']);
    const s = batchSimilarityFromTopK(g, [0, 1, 2, 3], -1);
    const m = s.arraySync();
    s.dispose();
    const f = (x: number) => Math.fround(x);
    // biome-ignore format: a matrix
    expect(m).toEqual([
      [1, f(0.3), f(0.5), -1],
      [f(0.3), 1, f(0.8), f(0.9)],
      [f(0.5), f(0.8), 1, -1],
      [-1, f(0.9), -1, 1],
    ]);
  });

  it('matches the whole-file graph on a larger file of several record batches, streamed', async () => {
    const n = 1500;
    const dim = 8;
    const ids = Array.from({ length: n }, (_, i) => `id-${i}`);
    const e = unitRows(n, dim, 5);
    const full = await exactTopK(e, dim, 'x', { k: 4 });
    // Two record batches in each file: 1,000 rows and 500.
    const parts = (write: (name: string, from: number, to: number) => void, name: string) => {
      write(`${name}-0`, 0, 1000);
      write(`${name}-1`, 1000, n);
      const [a, b] = [0, 1].map((p) => tableFromIPC(fs.readFileSync(file(`${name}-${p}`))));
      writeTableAtomic(file(name), a.concat(b));
      expect(tableFromIPC(fs.readFileSync(file(name))).batches).toHaveLength(2);
      return file(name);
    };
    const bigEmb = parts((name, from, to) => {
      writeEmbeddingsFile(file(name), {
        ids: ids.slice(from, to),
        dim,
        embeddings: e.slice(from * dim, to * dim),
        encoder: 't',
        normalized: true,
      });
    }, 'big-emb');
    const bigTopk = parts((name, from, to) => {
      writeTopKFile(file(name), {
        k: 4,
        neighbors: full.neighbors.slice(from * 4, to * 4),
        scores: full.scores.slice(from * 4, to * 4),
        source: 'x',
      });
    }, 'big-topk');
    // Every third row, in reverse order, as the samples.
    const rows = Array.from({ length: n }, (_, i) => n - 1 - i).filter((r) => r % 3 === 0);
    const sampleOfRow = new Map(rows.map((r, s) => [r, s]));
    const g = await topKGraphForKeys(
      bigTopk,
      bigEmb,
      rows.map((r) => ids[r]),
    );
    let outside = 0;
    rows.forEach((r, s) => {
      for (let t = 0; t < 4; t++) {
        const j = full.neighbors[r * 4 + t];
        const want = sampleOfRow.get(j) ?? -1;
        if (want < 0) outside++;
        expect(g.neighbors[s * 4 + t]).toBe(want);
        expect(g.scores[s * 4 + t]).toBe(want < 0 ? 0 : full.scores[r * 4 + t]);
      }
    });
    expect(g.outside).toBe(outside);
    expect(outside).toBeGreaterThan(0);
  });

  it('errors name the first missing key and both files, a row-count mismatch, bad neighbours and duplicates', async () => {
    await expect(topKGraphForKeys(topk, emb, ['a', 'zz', 'b', 'yy'])).rejects.toThrow(
      `topKGraphForKeys: sample key "zz" has no row in ${emb} (2 of 4 keys missing), so ${topk} has no neighbours for it`,
    );
    const short = writeGraph('short.arrow', 2, [1, 2, 0, 3, 3, 1, 0, 2], [1, 1, 1, 1, 1, 1, 1, 1]);
    await expect(topKGraphForKeys(short, emb, ['a'])).rejects.toThrow(`topKGraphForKeys: ${short} has 4 rows but ${emb} has 5`);
    const far = writeGraph('far.arrow', 1, [1, 0, 7, 0, 0], [1, 1, 1, 1, 1]);
    await expect(topKGraphForKeys(far, emb, ['c'])).rejects.toThrow(`${far}: row 2 lists neighbour 7, but ${emb} has 5 rows`);
    await expect(topKGraphForKeys(topk, emb, ['a', 'b', 'a'])).rejects.toThrow(
      'topKGraphForKeys: sample key "a" is listed twice (samples 0 and 2)',
    );
    const twice = writeIds('twice.arrow', ['a', 'b', 'c', 'b', 'e']);
    await expect(topKGraphForKeys(topk, twice, ['b'])).rejects.toThrow(`${twice}: id "b" appears more than once (rows 1 and 3)`);
    await expect(topKGraphForKeys(emb, emb, ['a'])).rejects.toThrow(`${emb}: expected an xclr top-k file`);
    await expect(topKGraphForKeys(topk, topk, ['a'])).rejects.toThrow(`${topk}: expected an xclr embeddings file`);
  });
});
