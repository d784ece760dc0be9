import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { Float32, Int32, Table, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import {
  batchSimilarityFromClasses,
  batchSimilarityFromLabelSets,
  type ClassSimilarity,
  coOccurrenceClassGraph,
  edgeListClassGraph,
  FASHION_MNIST_TAXONOMY,
  readEdgeListFile,
  readTaxonomyFile,
  sameLabelGraph,
  taxonomyClasses,
  taxonomyClassGraph,
} from '../src/index.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-graph-sources-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** The similarity as rows of plain numbers. */
function rows(g: ClassSimilarity): number[][] {
  const c = g.classNames.length;
  return Array.from({ length: c }, (_, a) => Array.from(g.similarity.subarray(a * c, (a + 1) * c)));
}

function expectClose(actual: number[][], expected: number[][]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, a) => {
    expect(row.length).toBe(expected[a].length);
    row.forEach((v, b) => {
      expect(v, `(${a}, ${b})`).toBeCloseTo(expected[a][b], 6);
    });
  });
}

/** Symmetric with 1 on the diagonal. */
function expectWellFormed(g: ClassSimilarity): void {
  const c = g.classNames.length;
  expect(g.similarity).toBeInstanceOf(Float32Array);
  expect(g.similarity.length).toBe(c * c);
  for (let a = 0; a < c; a++) {
    expect(g.similarity[a * c + a]).toBe(1);
    for (let b = 0; b < c; b++) expect(g.similarity[a * c + b]).toBe(g.similarity[b * c + a]);
  }
}

// FASHION_MNIST_CLASSES, in label order, as @xclr/data defines them (checked against its source below).
const FASHION = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

describe('taxonomy graphs', () => {
  // root ─┬─ a ─┬─ b ─┬─ x
  //       │     │     └─ y
  //       │     └─ c ─── z
  //       └─ w
  const small = { a: { b: ['x', 'y'], c: ['z'] }, w: null };

  it('decays with the number of edges between two classes (default decay 0.5)', () => {
    const g = taxonomyClassGraph(small);
    expect(g.classNames).toEqual(['x', 'y', 'z', 'w']);
    expectWellFormed(g);
    // x–y siblings: 2 edges; x–z cousins: 4; x–w: x→b→a→root→w, 4 (depths 3 and 1, lca the root).
    expectClose(rows(g), [
      [1, 0.25, 0.0625, 0.0625],
      [0.25, 1, 0.0625, 0.0625],
      [0.0625, 0.0625, 1, 0.0625],
      [0.0625, 0.0625, 0.0625, 1],
    ]);
  });

  it('takes a decay, a class order, and inner nodes as classes', () => {
    const g = taxonomyClassGraph(small, { classNames: ['w', 'x', 'a', 'z'], decay: 0.3 });
    expect(g.classNames).toEqual(['w', 'x', 'a', 'z']);
    expectWellFormed(g);
    // w–x 4 edges, w–a 2, w–z 4, x–a 2, x–z 4, a–z 2.
    expectClose(rows(g), [
      [1, 0.3 ** 4, 0.3 ** 2, 0.3 ** 4],
      [0.3 ** 4, 1, 0.3 ** 2, 0.3 ** 4],
      [0.3 ** 2, 0.3 ** 2, 1, 0.3 ** 2],
      [0.3 ** 4, 0.3 ** 4, 0.3 ** 2, 1],
    ]);
    // Arrays may hold subtrees beside leaves.
    const mixed = taxonomyClassGraph({ r: ['p', { q: ['s'] }] }, { decay: 0.5 });
    expect(mixed.classNames).toEqual(['p', 's']);
    expect(mixed.similarity[1]).toBeCloseTo(0.125, 7); // p→r→q→s
  });

  it('ships a Fashion-MNIST taxonomy whose leaves are the ten classes', () => {
    const source = fs.readFileSync(fileURLToPath(new URL('../../data/src/mnist-family.ts', import.meta.url)), 'utf8');
    const declared = source
      .match(/FASHION_MNIST_CLASSES = \[([^\]]*)\]/)![1]
      .match(/'[^']*'/g)!
      .map((s) => s.slice(1, -1));
    expect(declared).toEqual(FASHION);
    expect([...taxonomyClasses(FASHION_MNIST_TAXONOMY)].sort()).toEqual([...FASHION].sort());
    const g = taxonomyClassGraph(FASHION_MNIST_TAXONOMY, { classNames: FASHION });
    expectWellFormed(g);
    const sim = (a: string, b: string) => g.similarity[FASHION.indexOf(a) * 10 + FASHION.indexOf(b)];
    expect(sim('Coat', 'Shirt')).toBe(0.25);
    expect(sim('Sandal', 'Ankle boot')).toBe(0.25);
    expect(sim('Dress', 'Shirt')).toBe(0.0625);
    expect(sim('Dress', 'Trouser')).toBe(0.0625);
    expect(sim('Pullover', 'Trouser')).toBe(0.0625);
    expect(sim('Sneaker', 'Bag')).toBe(0.0625);
    expect(sim('Shirt', 'Sneaker')).toBe(0.015625);
    expect(sim('Trouser', 'Bag')).toBe(0.015625);
  });

  it('gives the expected per-batch targets through batchSimilarityFromClasses', () => {
    const g = taxonomyClassGraph(FASHION_MNIST_TAXONOMY, { classNames: FASHION });
    const labels = [0, 6, 3, 7, 8, 0]; // T-shirt/top, Shirt, Dress, Sneaker, Bag, T-shirt/top
    const expected = [
      [1, 0.25, 0.0625, 0.015625, 0.015625, 1],
      [0.25, 1, 0.0625, 0.015625, 0.015625, 0.25],
      [0.0625, 0.0625, 1, 0.015625, 0.015625, 0.0625],
      [0.015625, 0.015625, 0.015625, 1, 0.0625, 0.015625],
      [0.015625, 0.015625, 0.015625, 0.0625, 1, 0.015625],
      [1, 0.25, 0.0625, 0.015625, 0.015625, 1],
    ];
    const fromGraph = batchSimilarityFromClasses(g, labels);
    const fromMatrix = batchSimilarityFromClasses(g.similarity, 10, Int32Array.from(labels));
    expect(fromGraph.shape).toEqual([6, 6]);
    expectClose(fromGraph.arraySync(), expected);
    expectClose(fromMatrix.arraySync(), expected);
    tf.dispose([fromGraph, fromMatrix]);
    expect(() => batchSimilarityFromClasses(g, [10])).toThrow('label 10 is out of range [0, 10)');
  });

  it('reads JSON and child,parent CSV taxonomy files into the same tree', () => {
    const json = write('fashion.json', JSON.stringify(FASHION_MNIST_TAXONOMY));
    const csv = write(
      'fashion.csv',
      [
        'child,parent',
        'clothing,',
        'tops, clothing',
        'T-shirt/top,tops',
        'Pullover,tops',
        'Coat,tops',
        'Shirt,tops',
        'one-piece,clothing',
        'Dress,one-piece',
        'bottoms,clothing',
        'Trouser,bottoms',
        // Children may come before their parent's own line.
        'Sandal,footwear',
        'Sneaker,footwear',
        'Ankle boot,footwear',
        'footwear,accessories',
        'bags,accessories',
        '"Bag",bags',
        '',
      ].join('\n'),
    );
    const expected = taxonomyClassGraph(FASHION_MNIST_TAXONOMY, { classNames: FASHION });
    for (const file of [json, csv]) {
      const taxonomy = readTaxonomyFile(file);
      expect(taxonomyClasses(taxonomy)).toEqual(taxonomyClasses(FASHION_MNIST_TAXONOMY));
      expect(Array.from(taxonomyClassGraph(taxonomy, { classNames: FASHION }).similarity)).toEqual(
        Array.from(expected.similarity),
      );
    }
    // Without a header, the first row is an edge.
    expect(taxonomyClasses(readTaxonomyFile(write('plain.csv', 'x,p\ny,p\n')))).toEqual(['x', 'y']);
  });

  it('names the cycle, the repeated node, the missing classes', () => {
    const cycle = write('cycle.csv', 'child,parent\nleaf,a\na,b\nb,c\nc,a\n');
    expect(() => readTaxonomyFile(cycle)).toThrow(
      `${cycle}: the taxonomy has a cycle: "a" → "b" → "c" → "a" (child → parent; lines 3, 4, 5)`,
    );
    expect(() => readTaxonomyFile(write('self.csv', 'a,a\n'))).toThrow('cycle: "a" → "a"');
    const twice = write('twice.csv', 'Shirt,tops\nTrouser,bottoms\nShirt,bottoms\n');
    expect(() => readTaxonomyFile(twice)).toThrow(
      `${twice}:3: "Shirt" appears twice in the taxonomy (a child of "tops" at line 1, of "bottoms" here)`,
    );
    const twiceJson = write('twice.json', JSON.stringify({ tops: ['Shirt'], bottoms: ['Trouser', 'Shirt'] }));
    expect(() => readTaxonomyFile(twiceJson)).toThrow(
      `${twiceJson}: "Shirt" appears twice in the taxonomy (at tops > Shirt and at bottoms > Shirt)`,
    );
    expect(() => taxonomyClassGraph({ tops: { Shirt: null }, Shirt: null })).toThrow('"Shirt" appears twice');
    expect(() => taxonomyClassGraph(FASHION_MNIST_TAXONOMY, { classNames: ['Coat', 'Hat', 'Shirt', 'Scarf'] })).toThrow(
      'taxonomyClassGraph: 2 of 4 classes are not in the taxonomy: "Hat", "Scarf"',
    );
    expect(() => taxonomyClassGraph(small, { classNames: ['x', 'x'] })).toThrow('class "x" is listed twice');
    expect(() => taxonomyClassGraph(small, { decay: 1.5 })).toThrow('decay must be in [0, 1], got 1.5');
    expect(() => taxonomyClassGraph({ a: [1] } as never)).toThrow('item 0 under a is a number');
    expect(() => readTaxonomyFile(write('bad.json', '{"a": ['))).toThrow('bad.json: not valid JSON');
    expect(() => readTaxonomyFile(write('wide.csv', 'a,b,c\n'))).toThrow('wide.csv:1: 3 fields, expected child,parent');
    expect(() => readTaxonomyFile(write('t.yaml', 'a: b\n'))).toThrow('expected a .json or .csv taxonomy file');
    expect(() => readTaxonomyFile(path.join(dir, 'none.json'))).toThrow('none.json: taxonomy file not found');
  });
});

describe('edge-list graphs', () => {
  const classNames = ['a', 'b', 'c', 'd'];
  const edges = [
    { i: 'a', j: 'b', weight: 0.8 },
    { i: 'b', j: 'a', weight: 0.4 },
    { i: 0, j: 2, weight: 0.5 },
    { i: 'd', j: 'c', weight: -0.2 },
    { i: 'a', j: 'a', weight: 1 },
  ];

  it('symmetrises by max (default) or mean, with a floor for pairs not listed', () => {
    const max = edgeListClassGraph(edges, { classNames });
    expectWellFormed(max);
    expectClose(rows(max), [
      [1, 0.8, 0.5, 0],
      [0.8, 1, 0, 0],
      [0.5, 0, 1, -0.2],
      [0, 0, -0.2, 1],
    ]);
    const mean = edgeListClassGraph(edges, { classNames, floor: 0.1, symmetrize: 'mean' });
    expectWellFormed(mean);
    expectClose(rows(mean), [
      [1, 0.6, 0.5, 0.1],
      [0.6, 1, 0.1, 0.1],
      [0.5, 0.1, 1, -0.2],
      [0.1, 0.1, -0.2, 1],
    ]);
  });

  it('reads CSV and Arrow edge lists', async () => {
    const csv = write('edges.csv', 'i,j,weight\na,b,0.8\nb,a,0.4\n0,2,0.5\n\nd , c, -0.2\n');
    const fromCsv = await readEdgeListFile(csv, { classNames });
    expect(Array.from(fromCsv.similarity)).toEqual(Array.from(edgeListClassGraph(edges, { classNames }).similarity));
    const renamed = write('renamed.csv', 'source,target,score\nc,d,0.9\n');
    const g = await readEdgeListFile(renamed, { classNames, columns: { i: 'source', j: 'target', weight: 'score' } });
    expect(g.similarity[2 * 4 + 3]).toBeCloseTo(0.9, 6);

    const byName = path.join(dir, 'edges.arrow');
    const table = new Table({
      i: vectorFromArray(['a', 'b', 'd'], new Utf8()),
      j: vectorFromArray(['b', 'c', 'a'], new Utf8()),
      weight: vectorFromArray([0.25, 0.5, -0.75], new Float32()),
    });
    fs.writeFileSync(byName, tableToIPC(table, 'file'));
    expectClose(rows(await readEdgeListFile(byName, { classNames, floor: -0.5, symmetrize: 'mean' })), [
      [1, 0.25, -0.5, -0.75],
      [0.25, 1, 0.5, -0.5],
      [-0.5, 0.5, 1, -0.5],
      [-0.75, -0.5, -0.5, 1],
    ]);
    const byIndex = path.join(dir, 'indices.arrow');
    const indexTable = new Table({
      i: vectorFromArray([3], new Int32()),
      j: vectorFromArray([1], new Int32()),
      weight: vectorFromArray([0.125], new Float32()),
    });
    fs.writeFileSync(byIndex, tableToIPC(indexTable, 'file'));
    expect((await readEdgeListFile(byIndex, { classNames })).similarity[1 * 4 + 3]).toBe(0.125);
  });

  it('names the file and line of an unknown class, a bad weight, a repeated pair', async () => {
    const unknown = write('unknown.csv', 'i,j,weight\na,b,0.5\na,zebra,0.5\n');
    await expect(readEdgeListFile(unknown, { classNames })).rejects.toThrow(
      `${unknown}:3: unknown class "zebra" in j (classes: "a", "b", "c", "d")`,
    );
    const range = write('range.csv', 'i,j,weight\na,b,0.5\nb,c,1.5\n');
    await expect(readEdgeListFile(range, { classNames })).rejects.toThrow(`${range}:3: weight 1.5 is outside [-1, 1]`);
    const nan = write('nan.csv', 'i,j,weight\na,b,high\n');
    await expect(readEdgeListFile(nan, { classNames })).rejects.toThrow(`${nan}:2: weight "high" is not a number`);
    const twice = write('twice-edge.csv', 'i,j,weight\na,b,0.5\nc,d,0.1\n0,1,0.7\n');
    await expect(readEdgeListFile(twice, { classNames })).rejects.toThrow(
      `${twice}:4: the pair ("a", "b") is listed twice (first at ${twice}:2)`,
    );
    const index = write('index.csv', 'i,j,weight\n4,1,0.5\n');
    await expect(readEdgeListFile(index, { classNames })).rejects.toThrow(
      `${index}:2: class index 4 in i is out of range [0, 4)`,
    );
    const self = write('self-edge.csv', 'i,j,weight\nc,c,0.5\n');
    await expect(readEdgeListFile(self, { classNames })).rejects.toThrow(`${self}:2: "c" with itself has weight 0.5`);
    const header = write('header.csv', 'from,to,weight\na,b,0.5\n');
    await expect(readEdgeListFile(header, { classNames })).rejects.toThrow(
      `${header}: no column "i", "j" in the header (columns: "from", "to", "weight")`,
    );
    const ragged = write('ragged.csv', 'i,j,weight\na,b\n');
    await expect(readEdgeListFile(ragged, { classNames })).rejects.toThrow(`${ragged}:2:`);

    const arrow = path.join(dir, 'range.arrow');
    const table = new Table({
      i: vectorFromArray(['a', 'b'], new Utf8()),
      j: vectorFromArray(['b', 'c'], new Utf8()),
      weight: vectorFromArray([0.5, -2], new Float32()),
    });
    fs.writeFileSync(arrow, tableToIPC(table, 'file'));
    await expect(readEdgeListFile(arrow, { classNames })).rejects.toThrow(`${arrow}: row 1: weight -2 is outside [-1, 1]`);

    expect(() => edgeListClassGraph([{ i: 'a', j: 'q', weight: 0.1 }], { classNames })).toThrow(
      'edgeListClassGraph: edge 0: unknown class "q" in j',
    );
    expect(() => edgeListClassGraph([], { classNames, floor: 2 })).toThrow('floor must be in [-1, 1], got 2');
    await expect(readEdgeListFile(write('e.txt', ''), { classNames })).rejects.toThrow('expected a .csv or .arrow edge list');
  });
});

describe('label co-occurrence graphs', () => {
  // Samples carrying a: {0, 1, 3}; b: {0, 2, 3}; c: {2, 3}; d: none.
  const sets = [[0, 1], ['a'], [1, 2], ['a', 'b', 'c', 'c'], []];
  const classNames = ['a', 'b', 'c', 'd'];

  it('cosine (default): |A ∩ B| / √(|A|·|B|)', () => {
    const g = coOccurrenceClassGraph(sets, { classNames });
    expectWellFormed(g);
    expectClose(rows(g), [
      [1, 2 / 3, 1 / Math.sqrt(6), 0],
      [2 / 3, 1, 2 / Math.sqrt(6), 0],
      [1 / Math.sqrt(6), 2 / Math.sqrt(6), 1, 0],
      [0, 0, 0, 1],
    ]);
  });

  it('jaccard: |A ∩ B| / |A ∪ B|', () => {
    const g = coOccurrenceClassGraph(sets, { classNames, metric: 'jaccard' });
    expectWellFormed(g);
    expectClose(rows(g), [
      [1, 2 / 4, 1 / 4, 0],
      [2 / 4, 1, 2 / 3, 0],
      [1 / 4, 2 / 3, 1, 0],
      [0, 0, 0, 1],
    ]);
  });

  it('names the sample of an unknown or out-of-range label', () => {
    expect(() => coOccurrenceClassGraph([[0], ['a', 'hat']], { classNames })).toThrow(
      'coOccurrenceClassGraph: sample 1: unknown label "hat" (classes: "a", "b", "c", "d")',
    );
    expect(() => coOccurrenceClassGraph([[4]], { classNames })).toThrow('sample 0: label 4 is out of range [0, 4)');
    expect(() => coOccurrenceClassGraph([[0]], { classNames, metric: 'dice' as never })).toThrow(
      'metric must be "cosine" or "jaccard"',
    );
  });

  it('per batch: the Jaccard similarity of two samples’ label sets', () => {
    const batch = [[0, 1], [1, 2], [3], [], [], [2, 1]];
    const s = batchSimilarityFromLabelSets(batch);
    expect(s.shape).toEqual([6, 6]);
    expectClose(s.arraySync(), [
      [1, 1 / 3, 0, 0, 0, 1 / 3],
      [1 / 3, 1, 0, 0, 0, 1],
      [0, 0, 1, 0, 0, 0],
      [0, 0, 0, 1, 0, 0],
      [0, 0, 0, 0, 1, 0],
      [1 / 3, 1, 0, 0, 0, 1],
    ]);
    // Picking the batch's rows from every sample's sets.
    const picked = batchSimilarityFromLabelSets(batch, [5, 0]);
    expectClose(picked.arraySync(), [
      [1, 1 / 3],
      [1 / 3, 1],
    ]);
    // One label per sample: SupCon's same-label graph.
    const labels = [2, 0, 2, 1, 0];
    const single = batchSimilarityFromLabelSets(labels.map((l) => [l]));
    const same = sameLabelGraph(labels);
    expect(single.arraySync()).toEqual(same.arraySync());
    tf.dispose([s, picked, single, same]);
    expect(() => batchSimilarityFromLabelSets(batch, [6])).toThrow('sample index 6 is out of range [0, 6)');
  });
});

it('the README section on taxonomies, edge lists and co-occurrence runs and prints what it says', async () => {
  const readme = fs.readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const section = readme.slice(readme.indexOf('## Graphs from taxonomies, edge lists and co-occurrence'));
  const code = section.match(/```js\n([\s\S]*?)```/)![1];
  const file = fileURLToPath(new URL(`./.readme-sources-${process.pid}.mjs`, import.meta.url));
  fs.writeFileSync(file, code);
  const logged: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => logged.push(args.map(String).join(' '));
  try {
    await import(/* @vite-ignore */ `${file}?t=${Date.now()}`);
  } finally {
    console.log = log;
    fs.rmSync(file, { force: true });
  }
  expect(logged).toEqual(['1,0.25,0.0625,0.015625', '1,0.6,0,0.6,1,0.2,0,0.2,1', '0.5', '1,0.5,0.333']);
});
