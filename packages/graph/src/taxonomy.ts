import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { ClassSimilarity } from './class-graph.js';
import { kindOf } from './text-records.js';

// Class graphs from a taxonomy (a tree of labels): two classes are as similar as they are close in
// the tree, sim(a, b) = decay^(d(a) + d(b) − 2·d(lca(a, b))), the number of edges between them.

/**
 * A taxonomy as a JSON value: each key is a node and its value its children, as an object (more
 * named nodes), an array (leaf names, or objects of subtrees) or `null` (the key is a leaf).
 * Top-level keys hang from an implicit root, so two top-level trees meet there.
 */
export interface Taxonomy {
  readonly [name: string]: Taxonomy | readonly (string | Taxonomy)[] | null;
}

/**
 * The ten Fashion-MNIST classes (names as in `FASHION_MNIST_CLASSES` of `@xclr/data`) in a
 * two-level garment taxonomy. Clothing splits, as DeepFashion groups its categories, into
 * upper-body (`tops`), full-body (`one-piece`: the dress, which covers both upper body and legs, so
 * it is neither a top nor a bottom and sits as far from the shirts as from the trousers) and
 * lower-body (`bottoms`); shoes and bags are `accessories`. At the default decay 0.5: 0.25 within a
 * group (Coat–Shirt, Sandal–Sneaker), 0.0625 across groups of one branch (Dress–Shirt,
 * Dress–Trouser, Sneaker–Bag), 0.015625 between clothing and accessories (Shirt–Sneaker).
 * Its leaves are not in label order: pass `classNames` to `taxonomyClassGraph`.
 */
export const FASHION_MNIST_TAXONOMY: Taxonomy = {
  clothing: {
    tops: ['T-shirt/top', 'Pullover', 'Coat', 'Shirt'],
    'one-piece': ['Dress'],
    bottoms: ['Trouser'],
  },
  accessories: {
    footwear: ['Sandal', 'Sneaker', 'Ankle boot'],
    bags: ['Bag'],
  },
};

interface Tree {
  names: string[];
  /** Parent node, -1 under the implicit root. */
  parent: number[];
  /** Where each node was defined, for errors. */
  where: string[];
  index: Map<string, number>;
  children: number[][];
}

function newTree(): Tree {
  return { names: [], parent: [], where: [], index: new Map(), children: [] };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses (and checks) a nested taxonomy; `source` prefixes errors (a file name or the function). */
function treeFromObject(taxonomy: unknown, source: string): Tree {
  const tree = newTree();
  const add = (name: string, parent: number, at: string): number => {
    if (name.trim() === '') throw new Error(`${source}: an empty class name at ${at || 'the top level'}`);
    const seen = tree.index.get(name);
    if (seen !== undefined) {
      throw new Error(`${source}: "${name}" appears twice in the taxonomy (at ${tree.where[seen]} and at ${at})`);
    }
    const id = tree.names.length;
    tree.names.push(name);
    tree.parent.push(parent);
    tree.where.push(at);
    tree.children.push([]);
    tree.index.set(name, id);
    if (parent >= 0) tree.children[parent].push(id);
    return id;
  };
  const path = (at: string, name: string) => (at ? `${at} > ${name}` : name);
  const visit = (value: unknown, parent: number, at: string): void => {
    if (value === null) return;
    if (Array.isArray(value)) {
      value.forEach((item, k) => {
        if (typeof item === 'string') add(item, parent, path(at, item));
        else if (isObject(item)) visit(item, parent, at);
        else
          throw new Error(
            `${source}: item ${k} under ${at || 'the top level'} is ${kindOf(item)}, expected a class name or an object of subtrees`,
          );
      });
    } else if (isObject(value)) {
      for (const [name, children] of Object.entries(value)) visit(children, add(name, parent, path(at, name)), path(at, name));
    } else {
      throw new Error(`${source}: ${at || 'the taxonomy'} is ${kindOf(value)}, expected an object, an array of names or null`);
    }
  };
  if (!isObject(taxonomy)) throw new Error(`${source}: the taxonomy is ${kindOf(taxonomy)}, expected an object of named nodes`);
  visit(taxonomy, -1, '');
  return tree;
}

/** The leaves of a parsed tree, in document order. */
function leavesOf(tree: Tree): string[] {
  return tree.names.filter((_, i) => tree.children[i].length === 0);
}

/** The leaf classes of a taxonomy, in document order (the default class order of `taxonomyClassGraph`). */
export function taxonomyClasses(taxonomy: Taxonomy): string[] {
  return leavesOf(treeFromObject(taxonomy, 'taxonomyClasses'));
}

export interface TaxonomyGraphOptions {
  /**
   * The classes, in label order; each must name a node of the taxonomy (a leaf, or an inner node
   * for samples labelled at a coarser level). Default: the leaves in document order.
   */
  classNames?: readonly string[];
  /** Similarity lost per edge between two classes, in [0, 1]. Default 0.5. */
  decay?: number;
}

/**
 * A class graph from a taxonomy: sim(a, b) = decay^(d(a) + d(b) − 2·d(lca(a, b))), where d is a
 * node's depth and lca the lowest common ancestor, i.e. decay to the number of edges on the path
 * from a to b (siblings: decay²; 1 on the diagonal). Symmetric, in (0, 1] for decay > 0.
 */
export function taxonomyClassGraph(taxonomy: Taxonomy, options: TaxonomyGraphOptions = {}): ClassSimilarity {
  const decay = options.decay ?? 0.5;
  if (!(typeof decay === 'number' && decay >= 0 && decay <= 1))
    throw new Error(`taxonomyClassGraph: decay must be in [0, 1], got ${decay}`);
  const tree = treeFromObject(taxonomy, 'taxonomyClassGraph');
  const classNames = [...(options.classNames ?? leavesOf(tree))];
  if (classNames.length === 0)
    throw new Error('taxonomyClassGraph: no classes (the taxonomy has no leaves or classNames is empty)');
  const twice = classNames.find((c, i) => classNames.indexOf(c) !== i);
  if (twice !== undefined) throw new Error(`taxonomyClassGraph: class "${twice}" is listed twice in classNames`);
  const missing = classNames.filter((c) => !tree.index.has(c));
  if (missing.length > 0) {
    throw new Error(
      `taxonomyClassGraph: ${missing.length} of ${classNames.length} classes are not in the taxonomy: ${list(missing)} (its leaves: ${list(leavesOf(tree))})`,
    );
  }
  // Each class's ancestors, itself first; the path length is the steps from each to the first shared one.
  const chains = classNames.map((c) => {
    const chain: number[] = [];
    for (let n = tree.index.get(c)!; n >= 0; n = tree.parent[n]) chain.push(n);
    return chain;
  });
  const c = classNames.length;
  const similarity = new Float32Array(c * c);
  for (let a = 0; a < c; a++) {
    similarity[a * c + a] = 1;
    const up = new Map(chains[a].map((n, k) => [n, k]));
    for (let b = a + 1; b < c; b++) {
      // Below the implicit root (depth 0): a chain of length L means depth L.
      let edges = chains[a].length + chains[b].length;
      for (let k = 0; k < chains[b].length; k++) {
        const ka = up.get(chains[b][k]);
        if (ka !== undefined) {
          edges = ka + k;
          break;
        }
      }
      similarity[a * c + b] = similarity[b * c + a] = decay ** edges;
    }
  }
  return { classNames, similarity };
}

/** `"a", "b", "c", … (12 in all)` for error messages. */
export function list(names: readonly string[], max = 12): string {
  const shown = names.slice(0, max).map((n) => JSON.stringify(n));
  return names.length > max ? `${shown.join(', ')}, … (${names.length} in all)` : shown.join(', ');
}

/** A tree from `child,parent` rows (parent empty: a top-level node), checked for repeats and cycles. */
function treeFromEdges(file: string, rows: { child: string; parent: string; line: number }[]): Taxonomy {
  const parentOf = new Map<string, { parent: string; line: number }>();
  const order: string[] = [];
  const see = (name: string) => {
    if (!order.includes(name)) order.push(name);
  };
  for (const { child, parent, line } of rows) {
    if (child === '') throw new Error(`${file}:${line}: empty child name`);
    const before = parentOf.get(child);
    if (before) {
      throw new Error(
        `${file}:${line}: "${child}" appears twice in the taxonomy (a child of "${before.parent || '(top level)'}" at line ${before.line}, of "${parent || '(top level)'}" here)`,
      );
    }
    parentOf.set(child, { parent, line });
    see(child);
    if (parent !== '') see(parent);
  }
  // Cycles: follow parents from each node; meeting a node of the current walk again closes a cycle.
  const done = new Set<string>();
  for (const start of order) {
    const walk: string[] = [];
    let node: string | undefined = start;
    while (node !== undefined && node !== '' && !done.has(node)) {
      const at = walk.indexOf(node);
      if (at >= 0) {
        const cycle = [...walk.slice(at), node];
        const lines = walk.slice(at).map((n) => parentOf.get(n)!.line);
        throw new Error(
          `${file}: the taxonomy has a cycle: ${cycle.map((n) => `"${n}"`).join(' → ')} (child → parent; lines ${lines.join(', ')})`,
        );
      }
      walk.push(node);
      node = parentOf.get(node)?.parent;
    }
    for (const n of walk) done.add(n);
  }
  const children = new Map<string, string[]>(order.map((n) => [n, []]));
  const roots: string[] = [];
  for (const name of order) {
    const p = parentOf.get(name)?.parent;
    if (p) children.get(p)!.push(name);
    else roots.push(name);
  }
  const node = (names: string[]): Taxonomy | string[] =>
    names.every((n) => children.get(n)!.length === 0)
      ? names
      : Object.fromEntries(names.map((n) => [n, children.get(n)!.length === 0 ? null : node(children.get(n)!)]));
  return Object.fromEntries(roots.map((n) => [n, children.get(n)!.length === 0 ? null : node(children.get(n)!)]));
}

/**
 * Reads a taxonomy file: `.json`, a nested object as `Taxonomy` describes, or `.csv`, one
 * `child,parent` edge a line (an optional `child,parent` header; an empty parent makes a top-level
 * node). Names are unique: a node that appears twice (two parents in a CSV, two places in a JSON
 * tree) is an error naming both places, as is a cycle (naming its nodes and lines).
 */
export function readTaxonomyFile(file: string): Taxonomy {
  if (!fs.existsSync(file)) throw new Error(`${file}: taxonomy file not found`);
  const text = fs.readFileSync(file, 'utf8');
  if (/\.json$/i.test(file)) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
    }
    treeFromObject(value, file);
    return value as Taxonomy;
  }
  if (/\.csv$/i.test(file)) {
    let records: { record: string[]; info: { lines: number } }[];
    try {
      records = parse(text, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: true, info: true }) as never;
    } catch (err) {
      const e = err as Error & { lines?: number };
      throw new Error(`${file}:${e.lines ?? '?'}: ${e.message}`);
    }
    const rows: { child: string; parent: string; line: number }[] = [];
    records.forEach(({ record, info }, k) => {
      if (k === 0 && record.length === 2 && record[0].toLowerCase() === 'child' && record[1].toLowerCase() === 'parent') return;
      if (record.length > 2) throw new Error(`${file}:${info.lines}: ${record.length} fields, expected child,parent`);
      rows.push({ child: record[0], parent: record[1] ?? '', line: info.lines });
    });
    return treeFromEdges(file, rows);
  }
  throw new Error(`${file}: expected a .json or .csv taxonomy file`);
}
