import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type BackendRequest, useFastestBackend } from '@xclr/backend';
import { defaultCacheDir, loadMnistFamily } from '@xclr/data';
import {
  buildClassGraph,
  createUseLiteEncoder,
  DEFAULT_TEMPLATES,
  computeTopK,
  mergeTopKShards,
  parseShard,
  readEmbeddingsFile,
  readTopKShardFile,
  type TextEncoder,
  type TopKEngine,
  writeEmbeddingsFile,
  writeTopKFile,
  writeTopKShardFile,
} from '@xclr/graph';
import { Progress } from '../run/progress.js';

async function encoderFor(name: string, backend: BackendRequest): Promise<TextEncoder> {
  await useFastestBackend({ backend });
  if (name === 'use-lite') return createUseLiteEncoder();
  throw new Error(`--encoder ${name}: unknown encoder; this version ships use-lite (transformers:MODEL is not implemented yet)`);
}

/** Rows of a JSONL or CSV caption file as records (CSV: a header row, RFC 4180 quoting). */
export function readCaptionRecords(file: string): Record<string, string>[] {
  if (!fs.existsSync(file)) throw new Error(`${file}: input file not found`);
  const text = fs.readFileSync(file, 'utf8');
  if (/\.jsonl?$/i.test(file)) {
    return text
      .split('\n')
      .map((l, i) => [l, i] as const)
      .filter(([l]) => l.trim())
      .map(([l, i]) => {
        try {
          return JSON.parse(l);
        } catch {
          throw new Error(`${file}:${i + 1}: not valid JSON`);
        }
      });
  }
  if (/\.csv$/i.test(file)) {
    const rows: string[][] = [];
    let row: string[] = [];
    let field = '';
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') {
          field += '"';
          i++;
        } else if (c === '"') {
          quoted = false;
        } else {
          field += c;
        }
      } else if (c === '"') {
        quoted = true;
      } else if (c === ',') {
        row.push(field);
        field = '';
      } else if (c === '\n' || c === '\r') {
        if (c === '\r' && text[i + 1] === '\n') i++;
        row.push(field);
        if (row.some((f) => f !== '')) rows.push(row);
        row = [];
        field = '';
      } else {
        field += c;
      }
    }
    if (field !== '' || row.length) rows.push([...row, field]);
    const [header, ...body] = rows;
    return body.map((r) => Object.fromEntries(header.map((h, k) => [h, r[k] ?? ''])));
  }
  throw new Error(`${file}: expected a .jsonl or .csv file`);
}

export interface EmbedOptions {
  input: string;
  textField: string;
  idField?: string;
  encoder: string;
  out: string;
  chunk: number;
  backend: BackendRequest;
  log: (line: string) => void;
  /** Stop after embedding this many new chunks, leaving the parts for a later resume (time-boxed jobs). */
  maxNewChunks?: number;
}

/**
 * Embeds captions chunk by chunk into `<out>.parts/`, so an interrupted run resumes at the first
 * missing chunk (each chunk file is written atomically), then joins the chunks into `out`.
 * Identical captions within a chunk are embedded once.
 */
export async function embedCaptions(o: EmbedOptions): Promise<{ rows: number; embedded: number; resumedChunks: number; complete: boolean }> {
  const records = readCaptionRecords(o.input);
  const texts = records.map((r, i) => {
    const t = r[o.textField];
    if (typeof t !== 'string') throw new Error(`${o.input}: row ${i + 1} has no text field "${o.textField}" (fields: ${Object.keys(r).join(', ')})`);
    return t;
  });
  const ids = records.map((r, i) => String(o.idField ? r[o.idField] : i));
  const parts = `${o.out}.parts`;
  fs.mkdirSync(parts, { recursive: true });
  const key = createHash('sha256').update(JSON.stringify([o.encoder, o.textField, o.chunk, texts.length])).digest('hex').slice(0, 12);
  const chunks = Math.ceil(texts.length / o.chunk);
  let encoder: TextEncoder | null = null;
  let embedded = 0;
  let resumedChunks = 0;
  let dim = 0;
  const progress = new Progress('embed', texts.length, process.stderr, 'captions');
  try {
    for (let c = 0; c < chunks; c++) {
      const file = path.join(parts, `${key}-${String(c).padStart(6, '0')}.arrow`);
      const start = c * o.chunk;
      const slice = texts.slice(start, start + o.chunk);
      if (fs.existsSync(file)) {
        resumedChunks++;
      } else {
        if (o.maxNewChunks !== undefined && c - resumedChunks >= o.maxNewChunks) {
          o.log(`stopped after ${o.maxNewChunks} new chunks; run the same command again to resume`);
          return { rows: texts.length, embedded, resumedChunks, complete: false };
        }
        encoder ??= await encoderFor(o.encoder, o.backend);
        const unique = [...new Set(slice)];
        const rows = await encoder.embed(unique);
        dim = encoder.dim;
        embedded += unique.length;
        const at = new Map(unique.map((t, i) => [t, i]));
        const out = new Float32Array(slice.length * dim);
        slice.forEach((t, i) => {
          const u = at.get(t) as number;
          out.set(rows.subarray(u * dim, (u + 1) * dim), i * dim);
        });
        writeEmbeddingsFile(file, { ids: ids.slice(start, start + o.chunk), dim, embeddings: out, encoder: encoder.name, normalized: true });
      }
      progress.update(Math.min(texts.length, start + o.chunk));
    }
    progress.done();
    const all = Array.from({ length: chunks }, (_, c) => readEmbeddingsFile(path.join(parts, `${key}-${String(c).padStart(6, '0')}.arrow`)));
    dim = all[0].dim;
    const embeddings = new Float32Array(texts.length * dim);
    let offset = 0;
    for (const part of all) {
      embeddings.set(part.embeddings, offset);
      offset += part.embeddings.length;
    }
    writeEmbeddingsFile(o.out, { ids, dim, embeddings, encoder: all[0].encoder, normalized: true });
    fs.rmSync(parts, { recursive: true, force: true });
  } finally {
    encoder?.dispose();
  }
  o.log(`embedded ${embedded} unique captions of ${texts.length} rows (${resumedChunks} chunks resumed) → ${o.out}`);
  return { rows: texts.length, embedded, resumedChunks, complete: true };
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
  const g = await buildClassGraph(() => createUseLiteEncoder(), names, {
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
