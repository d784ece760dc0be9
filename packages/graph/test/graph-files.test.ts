import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unitRows, writeRandomEmbeddings } from './helpers/embeddings.js';
import {
  buildTopKFile,
  type ClassGraph,
  cosineMatrix,
  exactTopK,
  mergeTopKFiles,
  readClassNames,
  readEmbeddingsFile,
  readTopKFile,
  writeClassGraphFile,
} from '../src/index.js';

describe('graph file builders', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-graph-files-'));
  const dim = 8;
  const n = 23;
  const embFile = path.join(dir, 'emb.arrow');
  const embeddings = writeRandomEmbeddings(embFile, n, dim, 7);

  it('buildTopKFile writes the exact top-k of an embeddings file', async () => {
    const out = path.join(dir, 'topk.arrow');
    const progress: number[][] = [];
    const r = await buildTopKFile({
      embeddings: embFile,
      k: 3,
      out,
      block: 5,
      engine: 'tfjs',
      onProgress: (d, t) => progress.push([d, t]),
    });
    expect(r).toEqual({ rows: n, note: 'tfjs (requested)', engine: 'tfjs' });
    expect(progress.at(-1)).toEqual([n, n]);
    const g = readTopKFile(out);
    const expected = await exactTopK(embeddings, dim, 'emb.arrow', { k: 3 });
    expect(g.source).toBe('emb.arrow');
    expect(Array.from(g.neighbors)).toEqual(Array.from(expected.neighbors));
  });

  it('shards (as "i/n" or { index, count }) merge into the full file; an incomplete set is refused', async () => {
    const full = path.join(dir, 'full.arrow');
    await buildTopKFile({ embeddings: embFile, k: 4, out: full, block: 4, engine: 'tfjs' });
    const shards = [path.join(dir, 's0.arrow'), path.join(dir, 's1.arrow')];
    const a = await buildTopKFile({ embeddings: embFile, k: 4, out: shards[0], block: 4, shard: '0/2', engine: 'tfjs' });
    const b = await buildTopKFile({
      embeddings: embFile,
      k: 4,
      out: shards[1],
      block: 4,
      shard: { index: 1, count: 2 },
      engine: 'tfjs',
    });
    expect(a.rows + b.rows).toBe(n);
    const merged = path.join(dir, 'merged.arrow');
    expect(() => mergeTopKFiles([shards[0]], merged)).toThrow('incomplete shard set: missing 1/2');
    expect(fs.existsSync(merged)).toBe(false);
    const g = mergeTopKFiles(shards, merged);
    expect(g.k).toBe(4);
    expect(Array.from(readTopKFile(merged).neighbors)).toEqual(Array.from(readTopKFile(full).neighbors));
  });

  it('clear errors for a missing embeddings file and a bad shard', async () => {
    const missing = path.join(dir, 'nope.arrow');
    await expect(buildTopKFile({ embeddings: missing, k: 2, out: path.join(dir, 'x.arrow') })).rejects.toThrow(
      `${missing}: file not found`,
    );
    await expect(buildTopKFile({ embeddings: embFile, k: 2, out: path.join(dir, 'x.arrow'), shard: '2/2' })).rejects.toThrow(
      '--shard 2/2: expected i/n with 0 ≤ i < n, e.g. 0/4',
    );
    expect(fs.existsSync(path.join(dir, 'x.arrow'))).toBe(false);
  });

  it('writeClassGraphFile writes the class embeddings and the similarity metadata', () => {
    const rows = unitRows(3, 4, 3);
    const graph: ClassGraph = {
      classNames: ['Coat', 'Bag', 'Boot'],
      texts: ['a coat', 'a bag', 'a boot'],
      templates: ['a photo of {}.'],
      encoder: 'test-encoder',
      dim: 4,
      embeddings: rows,
      similarity: cosineMatrix(rows, 4),
    };
    const out = path.join(dir, 'classes.arrow');
    writeClassGraphFile(out, graph);
    const e = readEmbeddingsFile(out);
    expect(e).toMatchObject({ ids: graph.classNames, dim: 4, encoder: 'test-encoder', normalized: true });
    expect(Array.from(e.embeddings)).toEqual(Array.from(rows));
    const text = fs.readFileSync(`${out}.json`, 'utf8');
    const { classNames, texts, templates } = graph;
    expect(text).toBe(JSON.stringify({ classNames, texts, templates, similarity: Array.from(graph.similarity) }, null, 1));
    expect(JSON.parse(text).similarity).toHaveLength(9);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('readClassNames reads one name per line and names a missing file', () => {
    const file = path.join(dir, 'names.txt');
    fs.writeFileSync(file, ' T-shirt \n\nAnkle boot\r\nBag');
    expect(readClassNames(file)).toEqual(['T-shirt', 'Ankle boot', 'Bag']);
    expect(() => readClassNames(path.join(dir, 'none.txt'))).toThrow(`${path.join(dir, 'none.txt')}: class names file not found`);
  });
});
