import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTransformersEncoder } from '../src/index.js';
import { expectedEmbedding, writeTinyBert } from './helpers/tiny-bert.js';

describe('transformers encoder (offline, on a tiny BERT-format model the test writes)', () => {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-bert-')), 'tiny-bert');
  const model = writeTinyBert(dir, ['a', 'red', 'sneaker', 'on', 'striped', 'background', 'blue', 'bag']);

  it('loads config, tokenizer and ONNX through transformers.js and mean-pools over the attention mask', async () => {
    const encoder = await createTransformersEncoder({ model: dir, offline: true, batchSize: 2 });
    expect(encoder.name).toBe(`transformers:${dir}`);
    expect(encoder.dim).toBe(8);
    // Different lengths in one batch: padding must not enter the mean; an unknown word maps to [UNK].
    const texts = ['A red sneaker on a striped background', 'blue bag', 'a zebra'];
    const rows = await encoder.embed(texts);
    expect(rows.length).toBe(3 * 8);
    texts.forEach((text, i) => {
      const want = expectedEmbedding(model, text);
      Array.from(rows.subarray(i * 8, (i + 1) * 8)).forEach((v, j) => {
        expect(v).toBeCloseTo(want[j], 5);
      });
    });
    encoder.dispose();
  });

  it('a directory that is not a model, or a hub id offline, is a clear error', async () => {
    await expect(createTransformersEncoder({ model: os.tmpdir(), offline: true })).rejects.toThrow(`${os.tmpdir()}: not a transformers.js model directory (no config.json)`);
    await expect(createTransformersEncoder({ model: 'Xenova/all-MiniLM-L6-v2', offline: true, cacheDir: fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-hf-')) })).rejects.toThrow(
      /transformers encoder: cannot load Xenova\/all-MiniLM-L6-v2 \(offline: is it in the cache or a local directory\?\)/,
    );
  });
});
