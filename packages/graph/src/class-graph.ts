import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { normalizeRows, type TextEncoder } from './text-encoder.js';

/** CLIP-style prompt templates; `{}` is replaced by the class description. */
export const DEFAULT_TEMPLATES = ['a photo of {}.', 'a picture of {}.', 'an image of {}.', 'a close-up photo of {}.', 'a low-resolution photo of {}.'];

/**
 * A class × class similarity graph, whatever it was built from (class descriptions, a taxonomy, an
 * edge list, label co-occurrence): what `batchSimilarityFromClasses` turns into a batch's targets.
 */
export interface ClassSimilarity {
  classNames: string[];
  /** `classes × classes` similarities, row-major, symmetric, 1 on the diagonal. */
  similarity: Float32Array;
}

export interface ClassGraph extends ClassSimilarity {
  /** Texts the prompts were built from (descriptions, or names when there are none). */
  texts: string[];
  templates: string[];
  encoder: string;
  dim: number;
  /** `classes × dim` unit rows: the mean of each class's prompt embeddings, renormalised. */
  embeddings: Float32Array;
  /** `classes × classes` cosine similarities, row-major. */
  similarity: Float32Array;
}

/** Row-major cosine similarity of unit rows. */
export function cosineMatrix(rows: Float32Array, dim: number): Float32Array {
  const n = rows.length / dim;
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += rows[i * dim + k] * rows[j * dim + k];
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
  return out;
}

/**
 * The class-level X-CLR graph: each class's text is put into every template ("a photo of {}."),
 * the prompt embeddings are averaged (CLIP's prompt ensembling) and the class × class cosine
 * similarities form the target graph.
 */
export async function buildClassGraph(
  encoder: TextEncoder | (() => Promise<TextEncoder>),
  classNames: readonly string[],
  options: {
    descriptions?: readonly string[];
    templates?: readonly string[];
    /** Reuse graphs built before (keyed by encoder name, texts and templates) from this directory. */
    cacheDir?: string;
    /** The encoder's name, needed with a lazy encoder to look up the cache before loading it. */
    encoderName?: string;
  } = {},
): Promise<ClassGraph> {
  const templates = [...(options.templates ?? DEFAULT_TEMPLATES)];
  if (classNames.length < 2) throw new Error(`buildClassGraph: need at least 2 classes, got ${classNames.length}`);
  if (templates.length === 0 || templates.some((t) => !t.includes('{}'))) {
    throw new Error(`buildClassGraph: every template must contain "{}", got ${JSON.stringify(templates)}`);
  }
  if (options.descriptions && options.descriptions.length !== classNames.length) {
    throw new Error(`buildClassGraph: ${options.descriptions.length} descriptions for ${classNames.length} classes`);
  }
  const texts = [...(options.descriptions ?? classNames)];
  const name = typeof encoder === 'function' ? options.encoderName : encoder.name;
  if (name === undefined) throw new Error('buildClassGraph: pass encoderName with a lazily created encoder');
  const key = createHash('sha256').update(JSON.stringify([name, classNames, texts, templates])).digest('hex').slice(0, 20);
  const cacheFile = options.cacheDir ? path.join(options.cacheDir, `class-graph-${key}.json`) : null;
  if (cacheFile && fs.existsSync(cacheFile)) {
    const cached = JSON.parse(fs.readFileSync(cacheFile, 'utf8'));
    return { ...cached, embeddings: Float32Array.from(cached.embeddings), similarity: Float32Array.from(cached.similarity) };
  }
  const model = typeof encoder === 'function' ? await encoder() : encoder;
  const prompts = texts.flatMap((t) => templates.map((tpl) => tpl.replace('{}', t)));
  const promptRows = await model.embed(prompts);
  if (typeof encoder === 'function') model.dispose();
  const dim = model.dim;
  const embeddings = new Float32Array(texts.length * dim);
  for (let c = 0; c < texts.length; c++) {
    for (let t = 0; t < templates.length; t++) {
      const row = (c * templates.length + t) * dim;
      for (let k = 0; k < dim; k++) embeddings[c * dim + k] += promptRows[row + k] / templates.length;
    }
  }
  normalizeRows(embeddings, dim, 'class embedding');
  const graph = { classNames: [...classNames], texts, templates, encoder: model.name, dim, embeddings, similarity: cosineMatrix(embeddings, dim) };
  if (cacheFile) {
    fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ ...graph, embeddings: Array.from(embeddings), similarity: Array.from(graph.similarity) }));
    fs.renameSync(tmp, cacheFile);
  }
  return graph;
}
