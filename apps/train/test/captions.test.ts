import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDirIn, TINY, tmpDir, xclr } from './helpers.js';

// A small synthetic captioned set, generated into a temporary folder through the real writer and
// read back through the real WebDataset reader.
const synthDir = path.join(tmpDir('xclr-synth-'), 'synth');
const SMALL = [
  '--set',
  'data.synth={"train":600,"test":100,"seed":0}',
  '--set',
  `data.path=${synthDir}`,
  '--set',
  'model.encoder.inputShape=[32,32,3]',
  '--set',
  'train.maxSteps=3',
];

const summaryOf = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));

describe('captioned training: the synthetic set, CLIP and X-CLR with a caption graph', () => {
  it('synth-clip trains image and text towers with a clamped learnable logit scale; eval retrieval reproduces the summary', async () => {
    const runs = tmpDir('xclr-clip-');
    const r = await xclr(['train', '--preset', 'synth-clip', ...TINY, ...SMALL, '--runs-dir', runs]);
    expect(r.code, r.err).toBe(0);
    const dir = runDirIn(runs);
    const summary = summaryOf(dir);
    expect(Object.keys(summary.splits)).toEqual(['only-fg', 'mixed-same', 'mixed-rand']);
    for (const s of Object.values(summary.splits) as Record<string, number>[]) {
      for (const key of ['knnTop1', 'linearTop1', 'baselineKnnTop1', 'baselineLinearTop1'])
        expect(s[key]).toBeGreaterThanOrEqual(0);
    }
    expect(summary.retrieval.imageToText[10]).toBeGreaterThan(0);
    const steps = fs
      .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((m) => m.kind === 'step');
    expect(steps).toHaveLength(3);
    for (const m of steps) expect(m.logitScale).toBeGreaterThan(1);
    expect(steps[0].logitScale).toBeLessThanOrEqual(100);
    expect(r.out).toMatch(/mixed-rand: encoder\s+\d+\.\d\d%/);

    // The checkpoint holds the text tower and logit scale: evaluating it again gives the same recall.
    const again = await xclr(['eval', 'retrieval', dir, '--json']);
    expect(again.code, again.err).toBe(0);
    const record = JSON.parse(again.out);
    expect(record.checkpoint).toBe('last');
    expect(record.imageToText).toEqual(summary.retrieval.imageToText);
    expect(record.textToImage).toEqual(summary.retrieval.textToImage);
    expect(fs.existsSync(path.join(dir, 'eval-retrieval-last.json'))).toBe(true);
  });

  it('synth-xclr trains against the caption graph; eval knn and linear reproduce the summary from the checkpoint', async () => {
    const runs = tmpDir('xclr-xclr-captions-');
    const r = await xclr(['train', '--preset', 'synth-xclr', ...TINY, ...SMALL, '--runs-dir', runs]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/graph: \d+ distinct captions embedded with use-lite \(512-d\)/);
    const dir = runDirIn(runs);
    const summary = summaryOf(dir);
    const knn = await xclr(['eval', 'knn', dir, '--checkpoint', 'last', '--json']);
    expect(knn.code, knn.err).toBe(0);
    const k = JSON.parse(knn.out);
    expect(k.knn.test).toEqual(summary.knn);
    expect(k.knn['mixed-rand'][k.headlineK]).toBe(summary.splits['mixed-rand'].knnTop1);
    const linear = await xclr(['eval', 'linear', dir, '--json']);
    expect(linear.code, linear.err).toBe(0);
    const l = JSON.parse(linear.out);
    expect(l.linear.top1).toBe(summary.linearTop1);
    expect(l.linear.splits['only-fg'].top1).toBe(summary.splits['only-fg'].linearTop1);

    const retrieval = await xclr(['eval', 'retrieval', dir]);
    expect(retrieval.code).toBe(1);
    expect(retrieval.err).toContain('retrieval needs a run with a text tower (loss clip); this run was trained with xclr');
  });

  it('on synth v2, the summary has attribute probes of its attributes split (encoder, raw pixels, majority)', async () => {
    const runs = tmpDir('xclr-synth2-');
    const v2 = [
      '--set',
      'data.synth={"train":400,"test":120,"seed":0,"version":2}',
      '--set',
      `data.path=${path.join(tmpDir('xclr-synth2-data-'), 'synth')}`,
    ];
    const r = await xclr(['train', '--preset', 'synth-xclr', ...TINY, ...SMALL, ...v2, '--runs-dir', runs]);
    expect(r.code, r.err).toBe(0);
    const { attributes } = summaryOf(runDirIn(runs));
    expect(attributes.split).toBe('attributes');
    expect(attributes.rows).toBe(120);
    const kinds = ['object', 'color', 'texture', 'size', 'position', 'background', 'count'];
    expect(Object.keys(attributes.encoder)).toEqual(kinds);
    for (const kind of kinds) {
      for (const side of [attributes.encoder[kind], attributes.baseline[kind]]) {
        expect(side.top1).toBeGreaterThanOrEqual(0);
        expect(side.top1).toBeLessThanOrEqual(1);
        expect(side.majority).toBeGreaterThan(0);
      }
    }
    // The background fills most pixels: a linear probe of raw pixels finds it far above the majority rate.
    expect(attributes.baseline.background.top1).toBeGreaterThan(attributes.baseline.background.majority + 0.3);
    expect(r.out).toContain('attribute probes (attributes, 120 images, linear top-1 on a random half)');

    // Learned vs caption similarity per attribute value, from the checkpoint.
    const dir = runDirIn(runs);
    const sim = await xclr(['eval', 'similarity', dir, '--json']);
    expect(sim.code, sim.err).toBe(0);
    const record = JSON.parse(sim.out);
    expect(record).toMatchObject({ kind: 'similarity', split: 'attributes', rows: 120, textEncoder: 'use-lite' });
    expect(Object.keys(record.kinds)).toEqual(kinds);
    expect(record.kinds.color.values).toBe(8);
    expect(record.kinds.color.target).toHaveLength(64);
    expect(record.kinds.color.target[0]).toBeCloseTo(1, 5);
    // Captions name the colour: two colours' captions are less alike than one colour's with itself.
    expect(Math.max(...record.kinds.color.target.filter((_: number, i: number) => i % 9 !== 0))).toBeLessThan(0.999);
    expect(fs.existsSync(path.join(dir, 'eval-similarity-last.json'))).toBe(true);
    const test = await xclr(['eval', 'similarity', dir, '--split', 'test', '--json']);
    expect(test.code, test.err).toBe(0);
    expect(JSON.parse(test.out)).toMatchObject({ split: 'test', rows: 120 });
    const missing = await xclr(['eval', 'similarity', dir, '--split', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('no split "nope" (test, only-fg, mixed-same, mixed-rand, attributes)');
  }, 600_000); // generates synth v2 and trains, evaluates and reloads a run: minutes on a loaded machine

  it('a caption graph on a dataset without captions is a clear error', async () => {
    const r = await xclr(['train', ...TINY, '--set', 'loss.graph=captions', '--runs-dir', tmpDir('xclr-nocap-')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('xclr: caption embeddings need a captioned dataset; fashion-mnist/train has no captions');
  });
});
