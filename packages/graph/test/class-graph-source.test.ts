import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLASS_GRAPH_SOURCES, classGraphFrom, FASHION_MNIST_TAXONOMY, taxonomyClassGraph } from '../src/index.js';

const classNames = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

describe('classGraphFrom', () => {
  it('lists its sources and builds the taxonomy graph (the Fashion-MNIST one by default)', async () => {
    expect(CLASS_GRAPH_SOURCES).toEqual(['class-descriptions', 'class-names', 'taxonomy', 'edges', 'labels']);
    const labels = await classGraphFrom('labels', { classNames: ['a', 'b', 'c'] });
    expect(Array.from(labels.similarity)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const g = await classGraphFrom('taxonomy', { classNames });
    expect(g.from).toBe('the Fashion-MNIST taxonomy');
    expect(Array.from(g.similarity)).toEqual(Array.from(taxonomyClassGraph(FASHION_MNIST_TAXONOMY, { classNames }).similarity));
  });

  it('reads an edge list file; without a file or with an unknown source it says what is missing', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-edges-')), 'edges.csv');
    fs.writeFileSync(file, 'i,j,weight\nTrouser,Dress,0.5\n');
    const g = await classGraphFrom('edges', { classNames, file });
    expect(g.from).toBe(file);
    expect(g.similarity[1 * 10 + 3]).toBeCloseTo(0.5, 6);
    expect(g.similarity[3 * 10 + 1]).toBeCloseTo(0.5, 6);
    await expect(classGraphFrom('edges', { classNames })).rejects.toThrow('class graph from edges: needs a file');
    // @ts-expect-error: not a source
    await expect(classGraphFrom('wordnet', { classNames })).rejects.toThrow('unknown class graph source "wordnet"');
  });
});
