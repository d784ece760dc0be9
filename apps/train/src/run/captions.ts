import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { defaultCacheDir } from '@xclr/data';
import { createUseLiteEncoder, readEmbeddingsFile, writeEmbeddingsFile } from '@xclr/graph';

export interface CaptionEmbeddings {
  encoder: string;
  dim: number;
  /** One unit row per sample (`captions.length × dim`), in sample order. */
  rows: Float32Array;
  /** Distinct captions embedded. */
  unique: number;
}

/**
 * Embeds a dataset's captions with the bundled sentence encoder, each distinct caption once, and
 * caches the distinct captions' embeddings as an Arrow embeddings file (ids are the captions).
 */
export async function embedDatasetCaptions(captions: readonly string[], log: (line: string) => void): Promise<CaptionEmbeddings> {
  const unique = [...new Set(captions)].sort();
  const key = createHash('sha256')
    .update(JSON.stringify(['use-lite', unique]))
    .digest('hex')
    .slice(0, 16);
  const file = path.join(defaultCacheDir(), `captions-use-lite-${key}.arrow`);
  let ids: string[];
  let embeddings: Float32Array;
  let dim: number;
  if (fs.existsSync(file)) {
    ({ ids, embeddings, dim } = readEmbeddingsFile(file));
  } else {
    log(`graph: embedding ${unique.length} distinct captions with use-lite (cached in ${file})`);
    const encoder = await createUseLiteEncoder();
    ids = unique;
    embeddings = await encoder.embed(unique);
    dim = encoder.dim;
    writeEmbeddingsFile(file, { ids, dim, embeddings, encoder: encoder.name, normalized: true });
  }
  const at = new Map(ids.map((c, i) => [c, i]));
  const rows = new Float32Array(captions.length * dim);
  captions.forEach((c, i) => {
    const u = at.get(c) as number;
    rows.set(embeddings.subarray(u * dim, (u + 1) * dim), i * dim);
  });
  return { encoder: 'use-lite', dim, rows, unique: unique.length };
}
