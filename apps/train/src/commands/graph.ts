import fs from 'node:fs';
import path from 'node:path';
import { type BackendRequest, useFastestBackend } from '@xclr/backend';
import { defaultCacheDir, loadMnistFamily } from '@xclr/data';
import {
  buildClassGraph,
  createTextEncoder,
  embedTextFile,
  DEFAULT_TEMPLATES,
  computeTopK,
  mergeTopKShards,
  parseShard,
  readEmbeddingsFile,
  readTopKShardFile,
  parseTextEncoderName,
  type TextEncoder,
  type TopKEngine,
  writeEmbeddingsFile,
  writeTopKFile,
  writeTopKShardFile,
} from '@xclr/graph';
import { Progress } from '@xclr/training';

/** Throws the CLI's message for an unknown `--encoder` before any input is read. */
function checkEncoderName(name: string): void {
  try {
    parseTextEncoderName(name);
  } catch (err) {
    throw new Error(`--encoder ${(err as Error).message}`);
  }
}

async function encoderFor(name: string, backend: BackendRequest, offline: boolean): Promise<TextEncoder> {
  checkEncoderName(name);
  if (parseTextEncoderName(name).kind === 'use-lite') await useFastestBackend({ backend });
  return createTextEncoder(name, { offline });
}

export interface EmbedOptions {
  input: string;
  textField: string;
  idField?: string;
  encoder: string;
  out: string;
  chunk: number;
  backend: BackendRequest;
  /** transformers: never reach the network. */
  offline?: boolean;
  log: (line: string) => void;
  /** Stop after embedding this many new chunks, leaving the parts for a later resume (time-boxed jobs). */
  maxNewChunks?: number;
}

/** `xclr graph embed`: a thin wrapper over @xclr/graph's resumable, streaming embedTextFile. */
export async function embedCaptions(o: EmbedOptions): Promise<{ rows: number; embedded: number; resumedChunks: number; complete: boolean }> {
  checkEncoderName(o.encoder); // before reading the input
  let progress: Progress | null = null;
  const result = await embedTextFile({
    input: o.input,
    out: o.out,
    textField: o.textField,
    idField: o.idField,
    encoder: () => encoderFor(o.encoder, o.backend, Boolean(o.offline)),
    encoderName: o.encoder,
    chunkRows: o.chunk,
    maxNewChunks: o.maxNewChunks,
    onProgress: (done, total) => {
      progress ??= new Progress('embed', total, process.stderr, 'captions');
      progress.update(done);
    },
  });
  if (!result.complete) {
    o.log(`stopped after ${o.maxNewChunks} new chunks; run the same command again to resume`);
    return result;
  }
  (progress as Progress | null)?.done();
  o.log(`embedded ${result.embedded} unique captions of ${result.rows} rows (${result.resumedChunks} chunks resumed) → ${o.out}`);
  return result;
}

export async function topkCommand(o: {
  embeddings: string;
  k: number;
  out: string;
  shard?: string;
  block: number;
  engine: TopKEngine;
  backend: BackendRequest;
  log: (l: string) => void;
}) {
  if (o.engine === 'tfjs') await useFastestBackend({ backend: o.backend });
  const e = readEmbeddingsFile(o.embeddings);
  const shard = o.shard ? parseShard(o.shard) : undefined;
  let progress: Progress | null = null;
  const { graph: g, note } = await computeTopK(e.embeddings, e.dim, path.basename(o.embeddings), {
    engine: o.engine,
    k: o.k,
    blockRows: o.block,
    shard,
    onProgress: (done, total) => {
      progress ??= new Progress('topk', total, process.stderr, 'rows');
      progress.update(done);
    },
  });
  (progress as Progress | null)?.done();
  if (shard) writeTopKShardFile(o.out, g);
  else writeTopKFile(o.out, g);
  o.log(`top-${o.k} of ${g.rows.length} rows${shard ? ` (shard ${o.shard})` : ''} on ${note} → ${o.out}`);
}

export function mergeCommand(o: { shards: string[]; out: string; log: (l: string) => void }) {
  const merged = mergeTopKShards(o.shards.map(readTopKShardFile));
  writeTopKFile(o.out, merged);
  o.log(`merged ${o.shards.length} shards → ${o.out}`);
}

export async function classesCommand(o: {
  names?: string;
  dataset?: 'fashion-mnist' | 'mnist';
  templates?: string[];
  out: string;
  backend: BackendRequest;
  log: (l: string) => void;
}) {
  let names: string[];
  let descriptions: readonly string[] | undefined;
  if (o.dataset) {
    const d = loadMnistFamily(o.dataset, { split: 'test' });
    names = [...(d.classNames ?? [])];
    descriptions = d.classDescriptions;
  } else if (o.names) {
    if (!fs.existsSync(o.names)) throw new Error(`${o.names}: class names file not found`);
    names = fs
      .readFileSync(o.names, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  } else throw new Error('graph classes: give --names FILE (one class per line) or --dataset NAME');
  await useFastestBackend({ backend: o.backend });
  const g = await buildClassGraph(() => createTextEncoder('use-lite'), names, {
    descriptions,
    templates: o.templates?.length ? o.templates : DEFAULT_TEMPLATES,
    encoderName: 'use-lite',
    cacheDir: defaultCacheDir(),
  });
  // Stored as an embeddings file (one row per class) plus the similarity matrix in its metadata.
  writeEmbeddingsFile(o.out, { ids: g.classNames, dim: g.dim, embeddings: g.embeddings, encoder: g.encoder, normalized: true });
  fs.writeFileSync(`${o.out}.json`, JSON.stringify({ classNames: g.classNames, texts: g.texts, templates: g.templates, similarity: Array.from(g.similarity) }, null, 1));
  o.log(`${names.length} classes × ${g.templates.length} templates → ${o.out} (+ ${path.basename(o.out)}.json with the similarity matrix)`);
}
