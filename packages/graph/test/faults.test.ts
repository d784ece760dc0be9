import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import {
  buildTopKFile,
  captionEmbeddingsFromFile,
  computeTopK,
  embedTextFile,
  exactTopK,
  mergeTopKFiles,
  normalizeRows,
  readEmbeddingsFile,
  readTextRecords,
  readTopKFile,
  readTopKShardFile,
  type TextEncoder,
  writeEmbeddingsFile,
  writeTopKFile,
  writeTopKShardFile,
} from '../src/index.js';

// Faults found by injection: cut-off Arrow files, files of the wrong kind, non-text captions,
// unclosed CSV quotes and non-integer k / block sizes all fail with one line naming the file.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-faults-'));
const dim = 4;
const n = 6;
const rows = normalizeRows(
  Float32Array.from({ length: n * dim }, (_, i) => Math.sin(i * 1.7) + 0.1),
  dim,
);
const ids = Array.from({ length: n }, (_, i) => `s${i}`);
const emb = path.join(dir, 'emb.arrow');
writeEmbeddingsFile(emb, { ids, dim, embeddings: rows, encoder: 'test', normalized: true });
const topk = path.join(dir, 'topk.arrow');
writeTopKFile(topk, await exactTopK(rows, dim, 'emb.arrow', { k: 2 }));
const shard = path.join(dir, 'shard.arrow');
writeTopKShardFile(shard, await exactTopK(rows, dim, 'emb.arrow', { k: 2, blockRows: 2, shard: { index: 0, count: 2 } }));

const incomplete = (file: string, expected: string) =>
  `${file}: not a complete Arrow IPC file (truncated or not Arrow); expected ${expected}`;

/** The first `bytes` of `file` (negative: all but the last −bytes) in a new file. */
function cut(file: string, bytes: number, name: string): string {
  const data = fs.readFileSync(file);
  const out = path.join(dir, name);
  fs.writeFileSync(out, data.subarray(0, bytes < 0 ? data.length + bytes : bytes));
  return out;
}

async function texts(file: string, fields = {}) {
  const out = [];
  for await (const r of readTextRecords(file, fields)) out.push(r);
  return out;
}

const encoder: TextEncoder = {
  name: 'fake',
  dim: 2,
  embed: async (t) => normalizeRows(Float32Array.from(t.flatMap((s) => [s.length, 1])), 2),
  dispose: () => {},
};

describe('a cut-off Arrow file', () => {
  it('every reader names the file and the kind of file it expected', async () => {
    for (const [at, tag] of [
      [-1, 'last-byte'],
      [0.5, 'half'],
      [10, 'ten'],
      [0, 'empty'],
    ] as const) {
      const bytes = (file: string) => (at > 0 && at < 1 ? Math.floor(fs.statSync(file).size * at) : at);
      const e = cut(emb, bytes(emb), `emb-${tag}.arrow`);
      expect(() => readEmbeddingsFile(e)).toThrow(incomplete(e, 'an xclr embeddings file'));
      await expect(captionEmbeddingsFromFile(e, ['s0'])).rejects.toThrow(incomplete(e, 'an xclr embeddings file'));
      await expect(texts(e, { textField: 'id' })).rejects.toThrow(incomplete(e, 'an Arrow table of texts'));
      await expect(buildTopKFile({ embeddings: e, k: 2, out: path.join(dir, 'never.arrow') })).rejects.toThrow(
        incomplete(e, 'an xclr embeddings file'),
      );
      const t = cut(topk, bytes(topk), `topk-${tag}.arrow`);
      expect(() => readTopKFile(t)).toThrow(incomplete(t, 'an xclr top-k file'));
      const s = cut(shard, bytes(shard), `shard-${tag}.arrow`);
      expect(() => readTopKShardFile(s)).toThrow(incomplete(s, 'an xclr top-k shard file'));
      expect(() => mergeTopKFiles([s], path.join(dir, 'never.arrow'))).toThrow(incomplete(s, 'an xclr top-k shard file'));
    }
    expect(fs.existsSync(path.join(dir, 'never.arrow'))).toBe(false);
  });

  it('a stream-format file cut inside a message, as texts to embed', async () => {
    const stream = path.join(dir, 'texts-stream.arrow');
    fs.writeFileSync(stream, tableToIPC(tableFromArrays({ caption: ['a coat', 'a bag', 'a shoe'] }), 'stream'));
    expect(await texts(stream)).toHaveLength(3);
    const c = cut(stream, 150, 'texts-stream-cut.arrow');
    await expect(texts(c)).rejects.toThrow(incomplete(c, 'an Arrow table of texts'));
    await expect(embedTextFile({ input: c, out: path.join(dir, 'e.arrow'), encoder, encoderName: 'fake' })).rejects.toThrow(
      incomplete(c, 'an Arrow table of texts'),
    );
  });

  it('a file of the wrong kind says what was expected and what it is', async () => {
    const embeddings = 'an xclr embeddings file (id: Utf8, embedding: FixedSizeList<Float32, dim>)';
    expect(() => readEmbeddingsFile(topk)).toThrow(`${topk}: expected ${embeddings}, but this is an xclr top-k file`);
    await expect(captionEmbeddingsFromFile(shard, ['s0'])).rejects.toThrow(
      `${shard}: expected ${embeddings}, but this is an xclr top-k shard file`,
    );
    await expect(buildTopKFile({ embeddings: topk, k: 2, out: path.join(dir, 'x.arrow') })).rejects.toThrow(
      `${topk}: expected ${embeddings}, but this is`,
    );
    expect(() => readTopKFile(emb)).toThrow(
      `${emb}: expected an xclr top-k file (neighbors: FixedSizeList<Int32, k>, scores: FixedSizeList<Float32, k>), but this is an xclr embeddings file`,
    );
    expect(() => readTopKShardFile(topk)).toThrow(
      `${topk}: expected an xclr top-k shard file (row: Int32, neighbors, scores; metadata xclr.shard, xclr.rows), but this is an xclr top-k file`,
    );
    const other = path.join(dir, 'other.arrow');
    fs.writeFileSync(other, tableToIPC(tableFromArrays({ id: ['a'], embedding: Float64Array.from([1]) }), 'file'));
    expect(() => readEmbeddingsFile(other)).toThrow(
      `${other}: expected ${embeddings}, but column "embedding" is Float64, not FixedSizeList<Float32, n>`,
    );
    await expect(captionEmbeddingsFromFile(other, ['a'])).rejects.toThrow(
      `${other}: expected ${embeddings}, but column "embedding" is Float64`,
    );
    const text = path.join(dir, 'text.arrow');
    fs.writeFileSync(text, '{"caption": "not arrow at all"}\n');
    expect(() => readEmbeddingsFile(text)).toThrow(
      `${text}: not an Arrow IPC file (no ARROW1 magic or stream header); expected an xclr embeddings file`,
    );
  });
});

describe('a text field that is not text', () => {
  it('a number, null, an object or a whole non-object line is named, with file and line', async () => {
    const jsonl = path.join(dir, 'typed.jsonl');
    fs.writeFileSync(jsonl, '{"caption": "ok", "id": 7}\n{"caption": 5}\n');
    await expect(texts(jsonl)).rejects.toThrow(`${jsonl}:2: field "caption" is a number, expected text`);
    for (const [value, kind] of [
      ['null', 'null'],
      ['{"en": "a coat"}', 'an object'],
      ['["a coat"]', 'an array'],
      ['true', 'a boolean'],
    ]) {
      fs.writeFileSync(jsonl, `{"caption": "ok"}\n\n{"caption": ${value}}\n`);
      await expect(texts(jsonl)).rejects.toThrow(`${jsonl}:3: field "caption" is ${kind}, expected text`);
    }
    fs.writeFileSync(jsonl, '{"caption": "ok", "id": 7}\n{"caption": "fine", "id": {"n": 1}}\n');
    await expect(texts(jsonl, { idField: 'id' })).rejects.toThrow(
      `${jsonl}:2: field "id" is an object, expected text or a number`,
    );
    fs.writeFileSync(jsonl, '{"caption": "ok"}\n"a coat"\n');
    await expect(texts(jsonl)).rejects.toThrow(`${jsonl}:2: a string, expected one JSON object per line`);
    fs.writeFileSync(jsonl, '{"constructor": "x"}\n');
    await expect(texts(jsonl, { textField: 'toString' })).rejects.toThrow(
      `${jsonl}:1: no text field "toString" (fields: constructor)`,
    );
  });

  it('an Arrow column of numbers is not text', async () => {
    const arrow = path.join(dir, 'numbers.arrow');
    fs.writeFileSync(arrow, tableToIPC(tableFromArrays({ caption: Int32Array.from([1, 2]) }), 'file'));
    await expect(texts(arrow)).rejects.toThrow(`${arrow}: row 0: field "caption" is a number, expected text`);
  });
});

describe('a CSV quote that is never closed', () => {
  it('is reported at the line where the quoted field opens', async () => {
    const csv = path.join(dir, 'quote.csv');
    fs.writeFileSync(csv, 'id,caption\n1,"a coat,\nwarm"\n\n2,"a bag\n3,a shoe\n4,a hat\n');
    await expect(texts(csv)).rejects.toThrow(`${csv}:5: a quoted field opens here and is never closed (the file ends inside it)`);
    // A later quoted field "closes" it at the wrong place: still the line where it opens.
    fs.writeFileSync(csv, '\uFEFFid,caption\n1,"a ""long"" coat"\n2,"a bag\n3,"a shoe"\n');
    await expect(texts(csv)).rejects.toThrow(
      new RegExp(`^${csv}:3: a quoted field opens here and its closing quote, at line 4, is followed by text`),
    );
    fs.writeFileSync(csv, 'id,caption\n1,a,b\n');
    await expect(texts(csv)).rejects.toThrow(`${csv}:2: Invalid Record Length`);
  });
});

describe('k and block sizes', () => {
  it('must be positive integers, checked before any file is read', async () => {
    const missing = path.join(dir, 'missing.arrow');
    const out = path.join(dir, 'k.arrow');
    await expect(buildTopKFile({ embeddings: missing, k: 2.5, out })).rejects.toThrow(
      'buildTopKFile: k must be a positive integer, got 2.5',
    );
    await expect(buildTopKFile({ embeddings: missing, k: 0, out })).rejects.toThrow(
      'buildTopKFile: k must be a positive integer, got 0',
    );
    await expect(buildTopKFile({ embeddings: missing, k: 2, block: 0, out })).rejects.toThrow(
      'buildTopKFile: block must be a positive integer, got 0',
    );
    await expect(buildTopKFile({ embeddings: missing, k: 2, block: 1.5, out })).rejects.toThrow(
      'buildTopKFile: block must be a positive integer, got 1.5',
    );
    await expect(exactTopK(rows, dim, 'x', { k: 2.5 })).rejects.toThrow('exactTopK: k must be a positive integer, got 2.5');
    await expect(exactTopK(rows, dim, 'x', { k: 2, blockRows: 2.5 })).rejects.toThrow(
      'exactTopK: blockRows must be a positive integer, got 2.5',
    );
    await expect(exactTopK(rows, dim, 'x', { k: 2, blockRows: -1 })).rejects.toThrow(
      'exactTopK: blockRows must be a positive integer, got -1',
    );
    await expect(exactTopK(rows, dim, 'x', { k: 2, shard: { index: 2, count: 2 } })).rejects.toThrow(
      'exactTopK: shard must be { index, count } with 0 ≤ index < count',
    );
    for (const engine of ['tfjs', 'auto'] as const) {
      await expect(computeTopK(rows, dim, 'x', { k: 2.5, engine })).rejects.toThrow(
        'computeTopK: k must be a positive integer, got 2.5',
      );
      await expect(computeTopK(rows, dim, 'x', { k: 2, blockRows: 0, engine })).rejects.toThrow(
        'computeTopK: blockRows must be a positive integer, got 0',
      );
    }
    expect(fs.existsSync(out)).toBe(false);
  });
});
