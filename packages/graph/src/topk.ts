import * as tf from '@tensorflow/tfjs-core';
import type { TopKGraph } from './arrow-files.js';

export interface TopKOptions {
  k: number;
  /** Query rows per block: memory is O(blockRows × N), never O(N²). Default 512. */
  blockRows?: number;
  /** Compute only blocks b with b mod count = index (an array job's share). Default: all. */
  shard?: { index: number; count: number };
  /** Called after each block with (rows done, rows in this shard). */
  onProgress?: (done: number, total: number) => void;
  /** Only the query rows in [start, end) (still against all rows; e.g. a timed sample). Default: all. */
  rowRange?: [number, number];
}

export interface TopKShard extends TopKGraph {
  /** Absolute row index of each row of `neighbors` / `scores`. */
  rows: Int32Array;
  shard: { index: number; count: number };
  totalRows: number;
}

/** Parses `i/n` as used by `--shard`. */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || count < 1 || index >= count) throw new Error(`--shard ${text}: expected i/n with 0 ≤ i < n, e.g. 0/4`);
  return { index, count };
}

/**
 * Checks what a top-k call can check before it sees the rows: `k` and `blockRows` are positive
 * integers and `shard` is `{ index, count }` with 0 ≤ index < count. `fn` names the caller in errors.
 */
export function checkTopKOptions(
  fn: string,
  options: { k: number; blockRows?: number; shard?: { index: number; count: number } },
  blockName = 'blockRows',
): void {
  const { k, blockRows, shard } = options;
  if (!Number.isInteger(k) || k < 1) throw new Error(`${fn}: k must be a positive integer, got ${k}`);
  if (blockRows !== undefined && (!Number.isInteger(blockRows) || blockRows < 1)) {
    throw new Error(`${fn}: ${blockName} must be a positive integer, got ${blockRows}`);
  }
  if (
    shard &&
    !(Number.isInteger(shard.index) && Number.isInteger(shard.count) && shard.index >= 0 && shard.index < shard.count)
  ) {
    throw new Error(`${fn}: shard must be { index, count } with 0 ≤ index < count, got ${JSON.stringify(shard)}`);
  }
}

/**
 * Checks the arguments of a top-k engine and plans its work: the query blocks of this shard (and
 * row range) and the output arrays for their rows. Shared by the tfjs and onnxruntime engines so
 * that their shards are interchangeable within one array job.
 */
export function planTopK(fn: string, embeddings: Float32Array, dim: number, options: TopKOptions, defaultBlockRows: number) {
  checkTopKOptions(fn, options);
  const n = embeddings.length / dim;
  const { k, blockRows = defaultBlockRows, shard = { index: 0, count: 1 } } = options;
  if (!Number.isInteger(n)) throw new Error(`${fn}: ${embeddings.length} values are not rows of ${dim}`);
  if (k >= n) throw new Error(`${fn}: k must satisfy 1 ≤ k < N = ${n} (self is excluded), got ${k}`);
  const [from, to] = options.rowRange ?? [0, n];
  const blocks = Array.from({ length: Math.ceil(n / blockRows) }, (_, b) => b).filter(
    (b) => b % shard.count === shard.index && b * blockRows >= from && b * blockRows < to,
  );
  const myRows = blocks.reduce((s, b) => s + Math.min(blockRows, n - b * blockRows), 0);
  return { n, k, blockRows, shard, blocks, rows: new Int32Array(myRows), neighbors: new Int32Array(myRows * k), scores: new Float32Array(myRows * k) };
}

/**
 * Exact cosine top-k neighbours of every row among all rows (self excluded), best first, from
 * unit-norm `embeddings` (`n × dim`). Blocked: each block is a [blockRows, n] similarity matrix.
 * Reads each block back asynchronously, so it runs on every tfjs backend (webgpu included).
 */
export async function exactTopK(embeddings: Float32Array, dim: number, source: string, options: TopKOptions): Promise<TopKShard> {
  const { n, k, blockRows, shard, blocks: mine, rows, neighbors, scores } = planTopK('exactTopK', embeddings, dim, options, 512);
  const myRows = rows.length;
  const all = tf.tensor2d(embeddings, [n, dim]);
  let done = 0;
  try {
    for (const b of mine) {
      const start = b * blockRows;
      const size = Math.min(blockRows, n - start);
      const top = tf.tidy(() => {
        const q = tf.slice(all, [start, 0], [size, dim]);
        // Self similarity pushed below any cosine (−1) so it never ranks.
        const self = tf.mul(tf.oneHot(tf.range(start, start + size, 1, 'int32'), n), -4);
        return tf.topk(tf.add(tf.matMul(q, all, false, true), self), k, true);
      });
      const [vals, idx] = await Promise.all([top.values.data(), top.indices.data()]).finally(() =>
        tf.dispose([top.values, top.indices]),
      );
      for (let r = 0; r < size; r++) rows[done + r] = start + r;
      neighbors.set(idx, done * k);
      scores.set(vals, done * k);
      done += size;
      options.onProgress?.(done, myRows);
    }
  } finally {
    all.dispose();
  }
  return { k, rows, neighbors, scores, source, shard, totalRows: n };
}

/** Joins the shards of one array job into a full graph; refuses an incomplete or overlapping set. */
export function mergeTopKShards(shards: TopKShard[]): TopKGraph {
  if (shards.length === 0) throw new Error('mergeTopKShards: no shards');
  const { k, totalRows, source } = shards[0];
  const count = shards[0].shard.count;
  const seen = new Set<number>();
  for (const s of shards) {
    if (s.k !== k || s.totalRows !== totalRows || s.shard.count !== count || s.source !== source) {
      throw new Error(`shard ${s.shard.index}/${s.shard.count} does not belong with shard 0's set (k, rows, source or shard count differ)`);
    }
    if (seen.has(s.shard.index)) throw new Error(`shard ${s.shard.index}/${count} given twice`);
    seen.add(s.shard.index);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length) throw new Error(`incomplete shard set: missing ${missing.map((i) => `${i}/${count}`).join(', ')}`);
  const neighbors = new Int32Array(totalRows * k);
  const scores = new Float32Array(totalRows * k);
  const filled = new Uint8Array(totalRows);
  for (const s of shards) {
    s.rows.forEach((row, r) => {
      neighbors.set(s.neighbors.subarray(r * k, (r + 1) * k), row * k);
      scores.set(s.scores.subarray(r * k, (r + 1) * k), row * k);
      filled[row] = 1;
    });
  }
  const hole = filled.indexOf(0);
  if (hole >= 0) throw new Error(`incomplete shard set: row ${hole} is in no shard`);
  return { k, neighbors, scores, source };
}
