import fs from 'node:fs';
import path from 'node:path';
import { readEmbeddingsFile, readTopKFile } from '@xclr/graph';
import { describe, expect, it } from 'vitest';
import { embedCaptions } from '../src/commands/graph.js';
import { tmpDir, xclr } from './helpers.js';

const captions = [
  { id: 'a', caption: 'a red sneaker on a striped background' },
  { id: 'b', caption: 'a blue bag on a plain background' },
  { id: 'c', caption: 'a red sneaker on a striped background' },
  { id: 'd', caption: 'a green coat' },
  { id: 'e', caption: 'an ankle boot' },
];

describe('xclr graph', () => {
  const dir = tmpDir('xclr-graph-');
  const jsonl = path.join(dir, 'captions.jsonl');
  fs.writeFileSync(jsonl, `${captions.map((c) => JSON.stringify(c)).join('\n')}\n`);

  it('embed → topk → shards → merge through the CLI', async () => {
    const emb = path.join(dir, 'emb.arrow');
    const r = await xclr(['graph', 'embed', '--input', jsonl, '--id-field', 'id', '--out', emb, '--backend', 'cpu']);
    expect(r.code).toBe(0);
    const e = readEmbeddingsFile(emb);
    expect(e.ids).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(e.dim).toBe(512);
    expect(Array.from(e.embeddings.subarray(0, 512))).toEqual(Array.from(e.embeddings.subarray(1024, 1536)));
    expect(r.err).toMatch(/embedded 4 unique captions of 5 rows/);
    /** `xclr graph topk` of the captions' embeddings at k = 2 in blocks of 2 rows, on cpu. */
    const topkArgs = (out: string, ...extra: string[]) => [
      'graph',
      'topk',
      '--embeddings',
      emb,
      '--k',
      '2',
      '--out',
      out,
      '--block',
      '2',
      '--backend',
      'cpu',
      ...extra,
    ];
    const full = path.join(dir, 'topk.arrow');
    const topk = await xclr(topkArgs(full));
    expect(topk.code).toBe(0);
    expect(topk.err).toContain('top-2 of 5 rows on onnxruntime-node');
    const g = readTopKFile(full);
    expect(g.neighbors[0]).toBe(2); // a's nearest is its duplicate c
    const shards = [0, 1].map((i) => path.join(dir, `shard-${i}.arrow`));
    // The engines are interchangeable within one array job: shard 0 on tfjs, shard 1 on onnxruntime.
    for (const [i, f] of shards.entries()) {
      const engine = i === 0 ? 'tfjs' : 'auto';
      expect((await xclr(topkArgs(f, '--shard', `${i}/2`, '--engine', engine))).code).toBe(0);
    }
    const merged = path.join(dir, 'merged.arrow');
    const incomplete = await xclr(['graph', 'merge', shards[0], '--out', merged]);
    expect(incomplete.code).toBe(1);
    expect(incomplete.err).toBe('xclr: incomplete shard set: missing 1/2');
    expect((await xclr(['graph', 'merge', ...shards, '--out', merged])).code).toBe(0);
    expect(Array.from(readTopKFile(merged).neighbors)).toEqual(Array.from(g.neighbors));
  });

  it('an interrupted embed resumes with no duplicate or missing rows, equal to an uninterrupted one', async () => {
    const whole = path.join(dir, 'whole.arrow');
    const resumed = path.join(dir, 'resumed.arrow');
    const base = {
      input: jsonl,
      textField: 'caption',
      idField: 'id',
      encoder: 'use-lite',
      chunk: 2,
      backend: 'cpu' as const,
      log: () => {},
    };
    await embedCaptions({ ...base, out: whole });
    const first = await embedCaptions({ ...base, out: resumed, maxNewChunks: 1 });
    expect(first.complete).toBe(false);
    expect(fs.existsSync(resumed)).toBe(false);
    const second = await embedCaptions({ ...base, out: resumed });
    expect(second).toMatchObject({ complete: true, resumedChunks: 1 });
    expect(readEmbeddingsFile(resumed)).toEqual(readEmbeddingsFile(whole));
    expect(fs.existsSync(`${resumed}.parts`)).toBe(false);
  });

  it('CSV input, a missing text field and an unknown encoder are clear errors', async () => {
    const csv = path.join(dir, 'c.csv');
    fs.writeFileSync(csv, 'key,text\n1,"a coat, warm"\n2,a bag\n');
    const out = path.join(dir, 'csv.arrow');
    expect((await xclr(['graph', 'embed', '--input', csv, '--text-field', 'text', '--out', out, '--backend', 'cpu'])).code).toBe(
      0,
    );
    expect(readEmbeddingsFile(out).ids).toEqual(['0', '1']);
    const missing = await xclr(['graph', 'embed', '--input', csv, '--out', out]);
    expect(missing.err).toBe(`xclr: ${csv}:2: no text field "caption" (fields: key, text)`);
    const enc = await xclr([
      'graph',
      'embed',
      '--input',
      csv,
      '--text-field',
      'text',
      '--encoder',
      'bert',
      '--out',
      path.join(dir, 'x.arrow'),
      '--backend',
      'cpu',
    ]);
    expect(enc.err).toMatch(/--encoder bert: unknown encoder; use use-lite or transformers:MODEL/);
    expect((await xclr(['graph', 'topk', '--embeddings', out, '--k', '2.5', '--out', out])).err).toBe(
      "error: option '--k <k>' argument '2.5' is invalid. expected a positive integer",
    );
    const notModel = await xclr([
      'graph',
      'embed',
      '--input',
      csv,
      '--text-field',
      'text',
      '--encoder',
      `transformers:${dir}`,
      '--offline',
      '--out',
      path.join(dir, 'x.arrow'),
    ]);
    expect(notModel.err).toBe(`xclr: ${dir}: not a transformers.js model directory (no config.json)`);
  });

  it('graph classes writes the class embeddings and similarity matrix', async () => {
    const out = path.join(dir, 'classes.arrow');
    const r = await xclr(['graph', 'classes', '--dataset', 'fashion-mnist', '--out', out, '--backend', 'cpu']);
    expect(r.code).toBe(0);
    expect(readEmbeddingsFile(out).ids[9]).toBe('Ankle boot');
    const meta = JSON.parse(fs.readFileSync(`${out}.json`, 'utf8'));
    expect(meta.similarity).toHaveLength(100);
  });
});

describe('xclr data synth', () => {
  it('writes every split as WebDataset shards the reader streams back', async () => {
    const { readWebDataset } = await import('@xclr/data');
    const out = tmpDir('xclr-synth-');
    const r = await xclr(['data', 'synth', '--out', out, '--train', '30', '--test', '10', '--shard-size', '20']);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['mixed-rand', 'mixed-same', 'only-fg', 'original', 'train']);
    const shards = fs.readdirSync(path.join(out, 'train')).map((f) => path.join(out, 'train', f));
    expect(shards).toHaveLength(2);
    const { dataset, report } = await readWebDataset(shards);
    expect(report.read).toBe(30);
    expect(dataset.captions?.[0]).toMatch(/^a \w+ .+ on a \w+ background$/);
    const big = tmpDir('xclr-synth64-');
    expect((await xclr(['data', 'synth', '--out', big, '--train', '12', '--test', '4', '--size', '64'])).code).toBe(0);
    // The PNGs themselves are 64 × 64 (IHDR width and height at bytes 16 and 20).
    const { readTar } = await import('@xclr/data');
    const shard = path.join(big, 'train', fs.readdirSync(path.join(big, 'train'))[0]);
    let pngs = 0;
    for await (const entry of readTar(shard)) {
      if (!entry.name.endsWith('.png')) continue;
      pngs++;
      expect([entry.data.readUInt32BE(16), entry.data.readUInt32BE(20)]).toEqual([64, 64]);
    }
    expect(pngs).toBe(12);
  });
});
