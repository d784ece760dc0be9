import fs from 'node:fs';
import path from 'node:path';
import {
  readEmbeddingsFile,
  readTopKShardFile,
  type TopKGraph,
  writeEmbeddingsFile,
  writeTopKFile,
  writeTopKShardFile,
} from './arrow-files.js';
import type { ClassGraph } from './class-graph.js';
import { computeTopK, type TopKEngine } from './topk-engine.js';
import { type ResolvedShard, resolveShard, type ShardEnv } from './shards.js';
import { checkTopKOptions, mergeTopKShards } from './topk.js';

// File-to-file steps of a graph pipeline (what `xclr graph topk | merge | classes` run): each
// reads its inputs from disk, computes with this package's functions and writes atomically.

export interface BuildTopKFileOptions {
  /** An embeddings file (`writeEmbeddingsFile`, `embedTextFile`). */
  embeddings: string;
  k: number;
  /** The top-k file to write: a full graph, or with `shard` a shard file for `mergeTopKFiles`. */
  out: string;
  /**
   * This array job's share: `"i/n"`, `"auto/n"` (the index from the scheduler's environment, see
   * `resolveShard`) or `{ index, count }`. Default: all rows.
   */
  shard?: string | { index: number; count: number };
  /** Where `"auto/n"` reads the scheduler's variables. Default `process.env`. */
  env?: ShardEnv;
  /** Query rows per block. Default: the engine's (tfjs 512, onnxruntime 256). */
  block?: number;
  /** Default `auto`: onnxruntime-node when installed, else tfjs on the current backend. */
  engine?: TopKEngine;
  /** Called after each block with (rows done, rows in this shard). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Reads an embeddings file, computes its exact cosine top-k with `computeTopK` and writes a top-k
 * file (or a shard file when `shard` is given). Returns the rows computed, which engine ran
 * (e.g. `onnxruntime-node`, `tfjs (requested)`) and, for a shard, which one it resolved to. The
 * file's `xclr.source` is the embeddings file's base name.
 */
export async function buildTopKFile(
  options: BuildTopKFileOptions,
): Promise<{ rows: number; note: string; engine: 'onnxruntime' | 'tfjs'; shard?: ResolvedShard }> {
  const given = options.shard;
  const resolved: ResolvedShard | undefined =
    typeof given === 'string' ? resolveShard(given, options.env) : given && { label: `${given.index}/${given.count}`, ...given };
  const shard = resolved && { index: resolved.index, count: resolved.count };
  // Before reading the embeddings, which may be large.
  checkTopKOptions('buildTopKFile', { k: options.k, blockRows: options.block, shard }, 'block');
  const e = readEmbeddingsFile(options.embeddings);
  const { graph, engine, note } = await computeTopK(e.embeddings, e.dim, path.basename(options.embeddings), {
    engine: options.engine,
    k: options.k,
    blockRows: options.block,
    shard,
    onProgress: options.onProgress,
  });
  if (shard) writeTopKShardFile(options.out, graph);
  else writeTopKFile(options.out, graph);
  return { rows: graph.rows.length, note, engine, ...(resolved ? { shard: resolved } : {}) };
}

/** Joins the shard files of one array job (`buildTopKFile` with `shard`) into a full top-k file; refuses an incomplete or overlapping set. */
export function mergeTopKFiles(shards: readonly string[], out: string): TopKGraph {
  const merged = mergeTopKShards(shards.map((file) => readTopKShardFile(file)));
  writeTopKFile(out, merged);
  return merged;
}

/**
 * Writes a class graph (`buildClassGraph`) as an embeddings file `out` (one unit row per class,
 * ids = class names) plus `out.json`: `{ classNames, texts, templates, similarity }` with the
 * row-major class × class similarity matrix. Both written atomically.
 */
export function writeClassGraphFile(out: string, graph: ClassGraph): void {
  writeEmbeddingsFile(out, {
    ids: graph.classNames,
    dim: graph.dim,
    embeddings: graph.embeddings,
    encoder: graph.encoder,
    normalized: true,
  });
  const meta = {
    classNames: graph.classNames,
    texts: graph.texts,
    templates: graph.templates,
    similarity: Array.from(graph.similarity),
  };
  const tmp = `${out}.json.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(meta, null, 1));
  fs.renameSync(tmp, `${out}.json`);
}

/** Class names from a text file, one per line (trimmed, blank lines skipped). */
export function readClassNames(file: string): string[] {
  if (!fs.existsSync(file)) throw new Error(`${file}: class names file not found`);
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}
