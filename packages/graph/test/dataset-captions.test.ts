import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { createTransformersEncoder } from '../src/encoders/transformers.js';
import { createUseLiteEncoder } from '../src/encoders/use-lite.js';
import {
  batchSimilarityFromEmbeddings,
  captionEmbeddingsFromFile,
  createTextEncoder,
  embedDatasetCaptions,
  embedTextFile,
  isTextEncoderName,
  parseTextEncoderName,
  readEmbeddingsFile,
  TEXT_ENCODER_KINDS,
  writeEmbeddingsFile,
} from '../src/index.js';
import { expectedEmbedding, writeTinyBert } from './helpers/tiny-bert.js';

// Count encoder constructions: a cache hit must load no model.
vi.mock('../src/encoders/transformers.js', async (importOriginal) => {
  const m = await importOriginal<typeof import('../src/encoders/transformers.js')>();
  return { ...m, createTransformersEncoder: vi.fn(m.createTransformersEncoder) };
});
vi.mock('../src/encoders/use-lite.js', async (importOriginal) => {
  const m = await importOriginal<typeof import('../src/encoders/use-lite.js')>();
  return { ...m, createUseLiteEncoder: vi.fn(m.createUseLiteEncoder) };
});
const transformersLoads = () => vi.mocked(createTransformersEncoder).mock.calls.length;
const useLiteLoads = () => vi.mocked(createUseLiteEncoder).mock.calls.length;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-captions-'));
const words = ['a', 'red', 'sneaker', 'blue', 'bag', 'coat', 'green'];
const model = writeTinyBert(path.join(root, 'tiny-bert'), words);
const bert = `transformers:${model.dir}`;
const captions = ['a red sneaker', 'a blue bag', 'a red sneaker', 'a green coat', 'a blue bag', 'a coat', 'red'];
const keys = captions.map((_, i) => `sample-${i}`);
const distinct = new Set(captions).size;
const cacheDir = (name: string) => path.join(root, name);

function expectRowsNear(rows: Float32Array, dim: number, texts: readonly string[]) {
  expect(rows.length).toBe(texts.length * dim);
  texts.forEach((t, i) => {
    const want = expectedEmbedding(model, t);
    Array.from(rows.subarray(i * dim, (i + 1) * dim)).forEach((v, j) => {
      expect(v).toBeCloseTo(want[j], 5);
    });
  });
}

describe('encoder names', () => {
  it('parses use-lite and transformers:MODEL; anything else is the documented error', async () => {
    expect(TEXT_ENCODER_KINDS).toEqual(['use-lite', 'transformers']);
    expect(parseTextEncoderName('use-lite')).toEqual({ kind: 'use-lite' });
    expect(parseTextEncoderName('transformers:Xenova/all-MiniLM-L6-v2')).toEqual({ kind: 'transformers', model: 'Xenova/all-MiniLM-L6-v2' });
    expect(isTextEncoderName('transformers:')).toBe(false);
    const message = 'use-light: unknown encoder; use use-lite or transformers:MODEL (a model id such as Xenova/all-MiniLM-L6-v2, or a local directory)';
    expect(() => parseTextEncoderName('use-light')).toThrow(message);
    expect(() => parseTextEncoderName('transformers:')).toThrow('transformers:: unknown encoder; use use-lite or transformers:MODEL');
    await expect(createTextEncoder('use-light')).rejects.toThrow(message);
    // Rejected before any model loads or any cache is looked at.
    const before = transformersLoads() + useLiteLoads();
    await expect(embedDatasetCaptions(captions, { encoder: 'minilm', cacheDir: cacheDir('bad') })).rejects.toThrow('minilm: unknown encoder; use use-lite');
    expect(transformersLoads() + useLiteLoads()).toBe(before);
    expect(fs.existsSync(cacheDir('bad'))).toBe(false);
  });

  it('createTextEncoder builds the named transformers encoder offline', async () => {
    const encoder = await createTextEncoder(bert, { offline: true });
    expect({ name: encoder.name, dim: encoder.dim }).toEqual({ name: bert, dim: 8 });
    expectRowsNear(await encoder.embed(['a blue bag']), 8, ['a blue bag']);
    encoder.dispose();
  });
});

describe('embedDatasetCaptions', () => {
  it('embeds each distinct caption once with the configured encoder, one row per sample', async () => {
    const seen: string[] = [];
    const real = vi.mocked(createTransformersEncoder).getMockImplementation()!;
    vi.mocked(createTransformersEncoder).mockImplementationOnce(async (o) => {
      const e = await real(o);
      const embed = (texts: readonly string[]) => {
        seen.push(...texts);
        return e.embed(texts);
      };
      return { name: e.name, dim: e.dim, embed, dispose: () => e.dispose() };
    });
    const lines: string[] = [];
    const r = await embedDatasetCaptions(captions, { encoder: bert, offline: true, log: (l) => lines.push(l) });
    expect({ encoder: r.encoder, dim: r.dim, unique: r.unique }).toEqual({ encoder: bert, dim: 8, unique: distinct });
    expectRowsNear(r.rows, 8, captions);
    expect([...seen].sort()).toEqual([...new Set(captions)].sort());
    expect(lines).toEqual([`graph: embedding ${distinct} distinct captions with ${bert}`]);
  });

  it('caches by encoder: a second call loads no model, another encoder misses; the file is an embeddings file', async () => {
    const dir = cacheDir('cache');
    const loads = transformersLoads();
    const first = await embedDatasetCaptions(captions, { encoder: bert, offline: true, cacheDir: dir });
    expect(transformersLoads()).toBe(loads + 1);
    const files = fs.readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^captions-transformers-[0-9a-f]{20}\.arrow$/);
    const cached = readEmbeddingsFile(path.join(dir, files[0]));
    expect({ ids: cached.ids, encoder: cached.encoder, normalized: cached.normalized }).toEqual({ ids: [...new Set(captions)].sort(), encoder: bert, normalized: true });

    // Same captions in another order and multiplicity: the same distinct set, a hit.
    const shuffled = [...captions].reverse().concat(['a coat']);
    const second = await embedDatasetCaptions(shuffled, { encoder: bert, offline: true, cacheDir: dir });
    expect(transformersLoads()).toBe(loads + 1);
    expectRowsNear(second.rows, 8, shuffled);
    expect(second.rows.subarray(0, 8)).toEqual(first.rows.subarray(6 * 8, 7 * 8));

    // The same model under another name (a copy of the directory) is another encoder: a miss.
    const copy = path.join(root, 'tiny-bert-copy');
    fs.cpSync(model.dir, copy, { recursive: true });
    const other = await embedDatasetCaptions(captions, { encoder: `transformers:${copy}`, offline: true, cacheDir: dir });
    expect(transformersLoads()).toBe(loads + 2);
    expect(other.encoder).toBe(`transformers:${copy}`);
    expect(fs.readdirSync(dir)).toHaveLength(2);

    // A changed model directory (same name) misses too.
    const config = path.join(copy, 'config.json');
    fs.writeFileSync(config, `${fs.readFileSync(config, 'utf8')} `);
    await embedDatasetCaptions(captions, { encoder: `transformers:${copy}`, offline: true, cacheDir: dir });
    expect(transformersLoads()).toBe(loads + 3);
    expect(fs.readdirSync(dir)).toHaveLength(3);

    // Different captions miss.
    await embedDatasetCaptions(['a green bag'], { encoder: bert, offline: true, cacheDir: dir });
    expect(transformersLoads()).toBe(loads + 4);
  });

  it('use-lite with the same captions and cache directory is a different embedding, cached apart', async () => {
    const dir = cacheDir('cache-use');
    const few = ['a red sneaker', 'a blue bag', 'a red sneaker'];
    const viaBert = await embedDatasetCaptions(few, { encoder: bert, offline: true, cacheDir: dir });
    const loads = useLiteLoads();
    const viaUse = await embedDatasetCaptions(few, { encoder: 'use-lite', cacheDir: dir });
    expect(useLiteLoads()).toBe(loads + 1);
    expect({ encoder: viaUse.encoder, dim: viaUse.dim, unique: viaUse.unique }).toEqual({ encoder: 'use-lite', dim: 512, unique: 2 });
    expect(viaUse.rows.length).toBe(3 * 512);
    expect(viaUse.rows.subarray(0, 512)).toEqual(viaUse.rows.subarray(1024, 1536));
    expect(viaUse.rows).not.toEqual(viaBert.rows);
    // Its target graph differs from the tiny BERT's too, not only its width.
    const sUse = batchSimilarityFromEmbeddings(viaUse.rows, 512, [0, 1]);
    const sBert = batchSimilarityFromEmbeddings(viaBert.rows, 8, [0, 1]);
    expect(Math.abs((sUse.arraySync() as number[][])[0][1] - (sBert.arraySync() as number[][])[0][1])).toBeGreaterThan(1e-3);
    tf.dispose([sUse, sBert]);
    expect(fs.readdirSync(dir).sort()).toEqual([expect.stringMatching(/^captions-transformers-/), expect.stringMatching(/^captions-use-lite-/)]);
    const again = await embedDatasetCaptions(few, { encoder: 'use-lite', cacheDir: dir });
    expect(useLiteLoads()).toBe(loads + 1);
    expect(again.rows).toEqual(viaUse.rows);
  });
});

describe('captionEmbeddingsFromFile', () => {
  const jsonl = path.join(root, 'captions.jsonl');
  fs.writeFileSync(jsonl, `${captions.map((caption, i) => JSON.stringify({ key: keys[i], caption })).join('\n')}\n`);
  const file = path.join(root, 'embeddings.arrow');

  it('reads a file from embedTextFile (ids = sample keys) into the rows embedDatasetCaptions gives, in key order', async () => {
    const encoder = await createTextEncoder(bert, { offline: true });
    await embedTextFile({ input: jsonl, out: file, idField: 'key', encoder, encoderName: bert, chunkRows: 3 });
    encoder.dispose();
    // Samples in another order than the file, one listed twice.
    const order = [4, 0, 6, 2, 5, 1, 3, 0];
    const fromFile = await captionEmbeddingsFromFile(
      file,
      order.map((i) => keys[i]),
    );
    const direct = await embedDatasetCaptions(
      order.map((i) => captions[i]),
      { encoder: bert, offline: true },
    );
    expect({ encoder: fromFile.encoder, dim: fromFile.dim, unique: fromFile.unique }).toEqual({ encoder: bert, dim: 8, unique: 7 });
    expect(fromFile.rows).toEqual(direct.rows);
    const batch = [7, 2, 0, 5];
    const a = batchSimilarityFromEmbeddings(fromFile.rows, fromFile.dim, batch);
    const b = batchSimilarityFromEmbeddings(direct.rows, direct.dim, batch);
    expect(a.arraySync()).toEqual(b.arraySync());
    tf.dispose([a, b]);
  });

  it('a key with no embedding names the file, the first missing key and how many are missing', async () => {
    await expect(captionEmbeddingsFromFile(file, [keys[0], 'sample-99', keys[1], 'sample-77', 'sample-99'])).rejects.toThrow(
      `${file}: no embedding for sample key "sample-99" (2 of 4 distinct keys missing; the file's ids must be the sample keys)`,
    );
    await expect(captionEmbeddingsFromFile(path.join(root, 'none.arrow'), keys)).rejects.toThrow('none.arrow: file not found');
    await expect(captionEmbeddingsFromFile(jsonl, keys)).rejects.toThrow(`${jsonl}: not an Arrow IPC file`);
  });

  it('normalises rows when the file says they are not normalised, and leaves normalised ones as stored', async () => {
    const raw = path.join(root, 'raw.arrow');
    writeEmbeddingsFile(raw, { ids: ['x', 'y'], dim: 2, embeddings: Float32Array.from([3, 4, 0, 2]), encoder: 'custom', normalized: false });
    expect(Array.from((await captionEmbeddingsFromFile(raw, ['y', 'x'])).rows)).toEqual([0, 1, Math.fround(0.6), Math.fround(0.8)]);
    const stored = path.join(root, 'stored.arrow');
    writeEmbeddingsFile(stored, { ids: ['x'], dim: 2, embeddings: Float32Array.from([3, 4]), encoder: 'custom', normalized: true });
    expect(await captionEmbeddingsFromFile(stored, ['x'])).toEqual({ encoder: 'custom', dim: 2, rows: Float32Array.from([3, 4]), unique: 1 });
  });
});
