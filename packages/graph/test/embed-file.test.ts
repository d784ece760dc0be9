import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { createTransformersEncoder, embedTextFile, readEmbeddingsFile, readTextRecords, type TextEncoder } from '../src/index.js';
import { expectedEmbedding, writeTinyBert } from './helpers/tiny-bert.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-embed-'));
const model = writeTinyBert(path.join(dir, 'tiny-bert'), ['a', 'red', 'sneaker', 'blue', 'bag', 'coat', 'green']);
const captions = ['a red sneaker', 'a blue bag', 'a red sneaker', 'a green coat', 'a blue bag', 'a coat', 'red'];

/** Counts the texts each embed call receives, around the real encoder. */
function counting(encoder: TextEncoder) {
  const seen: string[] = [];
  return { seen, encoder: { ...encoder, embed: (texts: readonly string[]) => (seen.push(...texts), encoder.embed(texts)) } as TextEncoder };
}

describe('embedTextFile (streaming, resumable) with the transformers encoder', () => {
  const jsonl = path.join(dir, 'captions.jsonl');
  fs.writeFileSync(jsonl, `${captions.map((caption, i) => JSON.stringify({ key: `k${i}`, caption })).join('\n')}\n`);

  it('JSONL → Arrow embeddings: ids, the model\'s embeddings, metadata; identical captions in a chunk embedded once', async () => {
    const { seen, encoder } = counting(await createTransformersEncoder({ model: model.dir, offline: true }));
    const out = path.join(dir, 'emb.arrow');
    const r = await embedTextFile({ input: jsonl, out, idField: 'key', encoder, encoderName: encoder.name, chunkRows: 4 });
    expect(r).toEqual({ rows: 7, embedded: 6, resumedChunks: 0, complete: true });
    expect(seen).toEqual(['a red sneaker', 'a blue bag', 'a green coat', 'a blue bag', 'a coat', 'red']);
    const e = readEmbeddingsFile(out);
    expect(e.ids).toEqual(captions.map((_, i) => `k${i}`));
    expect(e).toMatchObject({ dim: 8, encoder: encoder.name, normalized: true });
    captions.forEach((c, i) => {
      const want = expectedEmbedding(model, c);
      Array.from(e.embeddings.subarray(i * 8, (i + 1) * 8)).forEach((v, j) => {
        expect(v).toBeCloseTo(want[j], 5);
      });
    });
    expect(fs.existsSync(`${out}.parts`)).toBe(false);
  });

  it('an interrupted run resumes to the same file; Arrow input with a Utf8 column works the same', async () => {
    const encoder = await createTransformersEncoder({ model: model.dir, offline: true });
    const base = { input: jsonl, idField: 'key', encoder, encoderName: encoder.name, chunkRows: 2 };
    const whole = path.join(dir, 'whole.arrow');
    const resumed = path.join(dir, 'resumed.arrow');
    await embedTextFile({ ...base, out: whole });
    expect(await embedTextFile({ ...base, out: resumed, maxNewChunks: 2 })).toMatchObject({ complete: false });
    expect(fs.existsSync(resumed)).toBe(false);
    expect(await embedTextFile({ ...base, out: resumed })).toMatchObject({ complete: true, resumedChunks: 2, embedded: 3 });
    expect(readEmbeddingsFile(resumed)).toEqual(readEmbeddingsFile(whole));

    const arrow = path.join(dir, 'captions.arrow');
    fs.writeFileSync(arrow, tableToIPC(tableFromArrays({ key: captions.map((_, i) => `k${i}`), caption: captions }), 'file'));
    const fromArrow = path.join(dir, 'from-arrow.arrow');
    await embedTextFile({ ...base, input: arrow, out: fromArrow });
    expect(readEmbeddingsFile(fromArrow)).toEqual(readEmbeddingsFile(whole));
  });

  it('errors name the file and row', async () => {
    const bad = path.join(dir, 'bad.jsonl');
    fs.writeFileSync(bad, '{"caption": "a"}\n{"text": "b"}\n');
    const texts = async (file: string, fields = {}) => {
      const out = [];
      for await (const r of readTextRecords(file, fields)) out.push(r);
      return out;
    };
    await expect(texts(bad)).rejects.toThrow(`${bad}:2: no text field "caption" (fields: text)`);
    await expect(texts(bad, { idField: 'id' })).rejects.toThrow(`${bad}:1: no id field "id" (fields: caption)`);
    await expect(texts(path.join(dir, 'x.parquet'))).rejects.toThrow('input file not found');
    fs.writeFileSync(path.join(dir, 'x.parquet'), '');
    await expect(texts(path.join(dir, 'x.parquet'))).rejects.toThrow('expected a .jsonl, .csv or .arrow file');
  });
});

// pyarrow is not packaged for Debian and PyPI is unreachable here; where it is installed this
// checks that Python reads the files (the schema is documented in the README either way).
const python = ['/usr/bin/python3', 'python3'].find((p) => {
  try {
    execFileSync(p, ['-c', 'import pyarrow'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});
describe.skipIf(!python)('pyarrow reads the files', () => {
  it('embeddings: id, embedding and the xclr metadata', () => {
    const out = execFileSync(python as string, [
      '-c',
      `import pyarrow.ipc as ipc, json; t = ipc.open_file(${JSON.stringify(path.join(dir, 'whole.arrow'))}).read_all(); print(json.dumps({"rows": t.num_rows, "names": t.schema.names, "dim": t.schema.metadata[b"xclr.dim"].decode(), "first": t.column("embedding")[0].as_py()}))`,
    ]);
    const r = JSON.parse(String(out));
    expect(r).toMatchObject({ rows: 7, names: ['id', 'embedding'], dim: '8' });
    expect(r.first).toHaveLength(8);
  });
});
