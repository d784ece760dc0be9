import { normalizeRows, writeEmbeddingsFile } from '../../src/index.js';

/** `n` seeded random unit rows of `dim` (a linear congruential generator: the same rows on every machine). */
export function unitRows(n: number, dim: number, seed: number): Float32Array {
  let s = seed;
  const rand = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  return normalizeRows(Float32Array.from({ length: n * dim }, rand), dim);
}

/** An embeddings file of `unitRows(n, dim, seed)` with ids r0, r1, …; returns the rows. */
export function writeRandomEmbeddings(file: string, n: number, dim: number, seed: number): Float32Array {
  const embeddings = unitRows(n, dim, seed);
  writeEmbeddingsFile(file, {
    ids: Array.from({ length: n }, (_, i) => `r${i}`),
    dim,
    embeddings,
    encoder: 'test',
    normalized: true,
  });
  return embeddings;
}
