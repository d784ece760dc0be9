import fs from 'node:fs';
import { DataType } from 'apache-arrow';
import { parse } from 'csv-parse';
import { openArrowBatches } from './arrow-files.js';
import type { ClassSimilarity } from './class-graph.js';
import { list } from './taxonomy.js';
import { csvError, kindOf } from './text-records.js';

// Class graphs from weighted edges (i, j, weight): a similarity matrix someone already has (a
// confusion matrix, a knowledge graph, a hand-made table), listed pair by pair.

/** One weighted pair of classes: names, or 0-based indices into `classNames`. */
export interface ClassEdge {
  i: string | number;
  j: string | number;
  weight: number;
}

export interface EdgeListOptions {
  /** The classes, in label order. Edges name them or give their 0-based index. */
  classNames: readonly string[];
  /** Similarity of the pairs no edge lists, in [−1, 1]. Default 0. */
  floor?: number;
  /**
   * How a pair listed in both directions, (i, j) and (j, i), with different weights becomes one
   * value: `max` (default, as `batchSimilarityFromTopK` does) or `mean`. A pair listed in one
   * direction only takes that weight both ways.
   */
  symmetrize?: 'max' | 'mean';
}

export interface EdgeListFileOptions extends EdgeListOptions {
  /** Column names of the two classes and the weight. Default `i`, `j`, `weight`. */
  columns?: { i?: string; j?: string; weight?: string };
}

/** Collects edges into a directed matrix, checking each; `at(n)` says where edge n came from. */
class EdgeCollector {
  private readonly c: number;
  private readonly byName: Map<string, number>;
  /** Directed weights, NaN where not given. */
  private readonly weights: Float32Array;
  /** Where each directed pair was first given (line, row or edge number), −1 if not. */
  private readonly first: Int32Array;

  constructor(
    fn: string,
    private readonly options: EdgeListOptions,
    private readonly at: (n: number) => string,
  ) {
    const names = options.classNames;
    if (!Array.isArray(names) || names.length === 0)
      throw new Error(`${fn}: classNames must be a non-empty array of class names`);
    this.c = names.length;
    this.byName = new Map(names.map((n, k) => [n, k]));
    if (this.byName.size !== names.length) {
      const twice = names.find((n, k) => names.indexOf(n) !== k);
      throw new Error(`${fn}: class "${twice}" is listed twice in classNames`);
    }
    const floor = options.floor ?? 0;
    if (!(typeof floor === 'number' && floor >= -1 && floor <= 1))
      throw new Error(`${fn}: floor must be in [-1, 1], got ${floor}`);
    if (options.symmetrize !== undefined && options.symmetrize !== 'max' && options.symmetrize !== 'mean') {
      throw new Error(`${fn}: symmetrize must be "max" or "mean", got ${JSON.stringify(options.symmetrize)}`);
    }
    this.weights = new Float32Array(this.c * this.c).fill(Number.NaN);
    this.first = new Int32Array(this.c * this.c).fill(-1);
  }

  /** A class from a name, an index, or text holding an index (a class name wins over an index). */
  private classIndex(value: unknown, column: string, n: number): number {
    if (typeof value === 'string') {
      const k = this.byName.get(value);
      if (k !== undefined) return k;
      if (!/^\s*\d+\s*$/.test(value)) {
        throw new Error(`${this.at(n)}: unknown class "${value}" in ${column} (classes: ${list(this.options.classNames)})`);
      }
      value = Number(value);
    }
    if (typeof value === 'bigint') value = Number(value);
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw new Error(
        `${this.at(n)}: ${column} is ${kindOf(value)}${typeof value === 'number' ? ` (${value})` : ''}, expected a class name or index`,
      );
    }
    if (value < 0 || value >= this.c)
      throw new Error(`${this.at(n)}: class index ${value} in ${column} is out of range [0, ${this.c})`);
    return value;
  }

  add(i: unknown, j: unknown, weight: unknown, n: number, columns = { i: 'i', j: 'j', weight: 'weight' }): void {
    const a = this.classIndex(i, columns.i, n);
    const b = this.classIndex(j, columns.j, n);
    let w = weight;
    if (typeof w === 'string') w = w.trim() === '' ? Number.NaN : Number(w);
    if (typeof w === 'bigint') w = Number(w);
    if (typeof w !== 'number' || Number.isNaN(w)) {
      throw new Error(
        `${this.at(n)}: ${columns.weight} ${typeof weight === 'string' ? JSON.stringify(weight) : kindOf(weight)} is not a number`,
      );
    }
    if (w < -1 || w > 1) throw new Error(`${this.at(n)}: ${columns.weight} ${w} is outside [-1, 1]`);
    const names = this.options.classNames;
    if (a === b) {
      if (Math.abs(w - 1) > 1e-5)
        throw new Error(`${this.at(n)}: "${names[a]}" with itself has weight ${w}; a class's similarity with itself is 1`);
      return;
    }
    const k = a * this.c + b;
    if (this.first[k] >= 0) {
      throw new Error(
        `${this.at(n)}: the pair ("${names[a]}", "${names[b]}") is listed twice (first at ${this.at(this.first[k])})`,
      );
    }
    this.first[k] = n;
    this.weights[k] = w;
  }

  graph(): ClassSimilarity {
    const { c, weights } = this;
    const floor = this.options.floor ?? 0;
    const mean = this.options.symmetrize === 'mean';
    const similarity = new Float32Array(c * c);
    for (let a = 0; a < c; a++) {
      similarity[a * c + a] = 1;
      for (let b = a + 1; b < c; b++) {
        const x = weights[a * c + b];
        const y = weights[b * c + a];
        const s = Number.isNaN(x) ? (Number.isNaN(y) ? floor : y) : Number.isNaN(y) ? x : mean ? (x + y) / 2 : Math.max(x, y);
        similarity[a * c + b] = similarity[b * c + a] = s;
      }
    }
    return { classNames: [...this.options.classNames], similarity };
  }
}

/**
 * A class graph from weighted edges: sim(a, b) = the edge's weight (in [−1, 1]); a pair given in
 * both directions is symmetrised by `symmetrize` (max, or mean); pairs no edge lists are `floor`;
 * the diagonal is 1. Edges name classes or give 0-based indices.
 */
export function edgeListClassGraph(edges: Iterable<ClassEdge>, options: EdgeListOptions): ClassSimilarity {
  const collector = new EdgeCollector('edgeListClassGraph', options, (n) => `edgeListClassGraph: edge ${n}`);
  let n = 0;
  for (const e of edges) {
    collector.add(e?.i, e?.j, e?.weight, n);
    n++;
  }
  return collector.graph();
}

/**
 * Reads a class graph from an edge list: a CSV file with a header row, or an Arrow IPC file, with
 * columns `i`, `j` (class names or 0-based indices) and `weight` (see `edgeListClassGraph` for how
 * it becomes a matrix). Errors name the file and line (Arrow: row): an unknown class, a weight
 * outside [−1, 1] or not a number, a pair listed twice.
 */
export async function readEdgeListFile(file: string, options: EdgeListFileOptions): Promise<ClassSimilarity> {
  const columns = { i: options.columns?.i ?? 'i', j: options.columns?.j ?? 'j', weight: options.columns?.weight ?? 'weight' };
  const wanted = [columns.i, columns.j, columns.weight];
  if (!fs.existsSync(file)) throw new Error(`${file}: edge list file not found`);
  if (/\.csv$/i.test(file)) {
    const collector = new EdgeCollector(file, options, (n) => `${file}:${n}`);
    let header: string[] = [];
    let checked = false;
    const parser = fs.createReadStream(file).pipe(
      parse({
        columns: (names: string[]) => {
          header = names;
          return names;
        },
        skip_empty_lines: true,
        bom: true,
        trim: true,
        info: true,
      }),
    );
    const checkHeader = () => {
      const missing = wanted.filter((c) => !header.includes(c));
      if (missing.length > 0)
        throw new Error(`${file}: no column ${list(missing)} in the header (columns: ${header.length ? list(header) : 'none'})`);
    };
    try {
      for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
        if (!checked) {
          checkHeader();
          checked = true;
        }
        collector.add(record[columns.i], record[columns.j], record[columns.weight], info.lines, columns);
      }
    } catch (err) {
      throw await csvError(file, err as Error & { code?: string; lines?: number });
    }
    checkHeader();
    return collector.graph();
  }
  if (/\.(arrow|feather|ipc)$/i.test(file)) {
    const collector = new EdgeCollector(file, options, (n) => `${file}: row ${n}`);
    const { schema, batches } = await openArrowBatches(file, `an Arrow table of class edges (${wanted.join(', ')})`);
    const missing = wanted.filter((c) => !schema.fields.some((f) => f.name === c));
    if (missing.length > 0)
      throw new Error(`${file}: no column ${list(missing)} (columns: ${list(schema.fields.map((f) => f.name))})`);
    const weightType = schema.fields.find((f) => f.name === columns.weight)!.type;
    if (!DataType.isFloat(weightType) && !DataType.isInt(weightType)) {
      throw new Error(`${file}: column "${columns.weight}" is ${weightType}, expected numbers`);
    }
    let row = 0;
    for await (const batch of batches) {
      const [i, j, w] = wanted.map((c) => batch.getChild(c)!);
      for (let r = 0; r < batch.numRows; r++, row++) collector.add(i.get(r), j.get(r), w.get(r), row, columns);
    }
    return collector.graph();
  }
  throw new Error(`${file}: expected a .csv or .arrow edge list`);
}
