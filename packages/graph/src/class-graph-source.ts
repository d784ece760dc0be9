import { buildClassGraph, type ClassSimilarity } from './class-graph.js';
import { readEdgeListFile } from './edge-list.js';
import { createTextEncoder } from './encoder-name.js';
import { FASHION_MNIST_TAXONOMY, readTaxonomyFile, taxonomyClassGraph } from './taxonomy.js';

/** Where a class graph can come from, by name (e.g. a config's `loss.graph`). */
export const CLASS_GRAPH_SOURCES = ['class-descriptions', 'class-names', 'taxonomy', 'edges', 'labels'] as const;
export type ClassGraphSource = (typeof CLASS_GRAPH_SOURCES)[number];

export interface ClassGraphFromOptions {
  classNames: readonly string[];
  /** `class-descriptions`: one description per class (default: the names themselves). */
  descriptions?: readonly string[];
  /** `taxonomy`: a JSON tree or `child,parent` CSV (default: `FASHION_MNIST_TAXONOMY`); `edges`: a CSV or Arrow edge list (required). */
  file?: string;
  /** Text encoder of the `class-descriptions` / `class-names` graphs (default `use-lite`; the caller picks the tfjs backend). */
  encoder?: string;
  /** Cache of text-encoder graphs. */
  cacheDir?: string;
}

/**
 * The class × class graph from a source by name: text embeddings of class descriptions or names,
 * a taxonomy (decay by tree distance), an edge list, or the labels alone (the identity: SupCon's
 * same-label graph). `from` says what built it (the encoder, or
 * the file), for logs and reports.
 */
export async function classGraphFrom(
  source: ClassGraphSource,
  o: ClassGraphFromOptions,
): Promise<ClassSimilarity & { from: string }> {
  const classNames = [...o.classNames];
  if (!classNames.length) throw new Error(`class graph from ${source}: no class names`);
  if (source === 'taxonomy') {
    const taxonomy = o.file ? readTaxonomyFile(o.file) : FASHION_MNIST_TAXONOMY;
    return { ...taxonomyClassGraph(taxonomy, { classNames }), from: o.file ?? 'the Fashion-MNIST taxonomy' };
  }
  if (source === 'labels') {
    // Labels only: every class similar to itself alone, SupCon's same-label graph.
    const c = classNames.length;
    return {
      classNames,
      similarity: Float32Array.from({ length: c * c }, (_, k) => (k % (c + 1) === 0 ? 1 : 0)),
      from: 'labels only',
    };
  }
  if (source === 'edges') {
    if (!o.file) throw new Error('class graph from edges: needs a file (CSV or Arrow rows of i, j, weight)');
    return { ...(await readEdgeListFile(o.file, { classNames })), from: o.file };
  }
  if (source !== 'class-descriptions' && source !== 'class-names')
    throw new Error(`unknown class graph source "${String(source)}"; use ${CLASS_GRAPH_SOURCES.join(', ')}`);
  const encoder = o.encoder ?? 'use-lite';
  const descriptions = source === 'class-descriptions' ? o.descriptions : undefined;
  const built = await buildClassGraph(() => createTextEncoder(encoder), classNames, {
    descriptions,
    cacheDir: o.cacheDir,
    encoderName: encoder,
  });
  return { ...built, from: built.encoder };
}
