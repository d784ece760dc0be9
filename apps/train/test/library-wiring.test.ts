import fs from 'node:fs';
import path from 'node:path';
import { openDataset } from '@xclr/data';
import { describe, expect, it } from 'vitest';
import { writeTinyBert } from '../../../packages/graph/test/helpers/tiny-bert.js';
import { runDirIn, stepLosses, TINY, tmpDir, xclr } from './helpers.js';

const synthDir = path.join(tmpDir('xclr-synth-wiring-'), 'synth');
const SMALL = ['--set', 'data.synth={"train":300,"test":60,"seed":1}', '--set', `data.path=${synthDir}`, '--set', 'model.encoder.inputShape=[32,32,3]', '--set', 'train.maxSteps=3'];
const records = (dir: string) =>
  fs
    .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

describe('the CLI wires the library: encoders, precomputed embeddings, checkpoints, signals', () => {
  it('loss.textEncoder=transformers:DIR embeds the captions with that model', async () => {
    const model = writeTinyBert(path.join(tmpDir('xclr-bert-'), 'tiny-bert'), ['a', 'on', 'background', 'red', 'blue', 'green']);
    const runs = tmpDir('xclr-bert-runs-');
    const r = await xclr(['train', '--preset', 'synth-xclr', ...TINY, ...SMALL, '--set', `loss.textEncoder=transformers:${model.dir}`, '--runs-dir', runs]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(new RegExp(`graph: \\d+ distinct captions embedded with transformers:${model.dir} \\(8-d\\)`));
    const bad = await xclr(['config', 'print', '--set', 'loss.textEncoder=bert']);
    expect(bad.err).toBe('xclr: config error: --set: loss.textEncoder: expected use-lite or transformers:MODEL (a hub id or a local model directory)');
  });

  it('loss.captionEmbeddings=FILE (xclr graph embed output keyed by sample) gives the same targets, so the same losses', async () => {
    const { train } = await openDataset({ dataset: 'synth', path: synthDir, synth: { train: 300, test: 60, seed: 1 } });
    const dir = tmpDir('xclr-emb-');
    const jsonl = path.join(dir, 'captions.jsonl');
    fs.writeFileSync(jsonl, train.ids!.map((key, i) => JSON.stringify({ key, caption: train.captions![i] })).join('\n'));
    const file = path.join(dir, 'captions.arrow');
    expect((await xclr(['graph', 'embed', '--input', jsonl, '--id-field', 'key', '--out', file, '--backend', 'cpu'])).code).toBe(0);
    const [computed, precomputed] = [tmpDir('xclr-emb-a-'), tmpDir('xclr-emb-b-')];
    expect((await xclr(['train', '--preset', 'synth-xclr', ...TINY, ...SMALL, '--runs-dir', computed])).code).toBe(0);
    const r = await xclr(['train', '--preset', 'synth-xclr', ...TINY, ...SMALL, '--set', `loss.captionEmbeddings=${file}`, '--runs-dir', precomputed]);
    expect(r.code, r.err).toBe(0);
    expect(stepLosses(runDirIn(precomputed))).toEqual(stepLosses(runDirIn(computed)));
    fs.writeFileSync(jsonl, JSON.stringify({ key: 'other', caption: 'a coat' }));
    const partial = path.join(dir, 'partial.arrow');
    expect((await xclr(['graph', 'embed', '--input', jsonl, '--id-field', 'key', '--out', partial, '--backend', 'cpu'])).code).toBe(0);
    const missing = await xclr(['train', '--preset', 'synth-xclr', ...TINY, ...SMALL, '--set', `loss.captionEmbeddings=${partial}`, '--runs-dir', tmpDir('xclr-emb-c-')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(partial);
    expect(missing.err).toContain(train.ids![0]);
  });

  it('saves the last checkpoint every train.checkpointEvery steps and records what each save cost', async () => {
    const runs = tmpDir('xclr-every-');
    const r = await xclr(['train', ...TINY, '--set', 'train.maxSteps=5', '--set', 'train.checkpointEvery=2', '--runs-dir', runs]);
    expect(r.code, r.err).toBe(0);
    const saves = records(runDirIn(runs)).filter((m) => m.kind === 'checkpoint');
    expect(saves.map((m) => m.step)).toEqual([2, 4, 5]);
    for (const s of saves) expect(s.ms).toBeGreaterThanOrEqual(0);
  });

  it('SIGTERM saves a checkpoint at the current step and exits with 143; a resume with another batch size is refused and leaves the config alone', async () => {
    const runs = tmpDir('xclr-term-');
    const running = xclr(['train', ...TINY, '--set', 'train.maxSteps=100000', '--runs-dir', runs]);
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        const dirs = fs.existsSync(runs) ? fs.readdirSync(runs) : [];
        if (dirs.length && fs.existsSync(path.join(runs, dirs[0], 'metrics.jsonl'))) {
          clearInterval(poll);
          process.emit('SIGTERM');
          resolve();
        }
      }, 20);
    });
    const { code, err } = await running;
    expect(code).toBe(143);
    expect(err).toMatch(/SIGTERM: stopped at step \d+; checkpoint saved/);
    const dir = runDirIn(runs);
    const step = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoints/last/manifest.json'), 'utf8')).step;
    expect(Math.max(...records(dir).filter((m) => m.kind === 'step').map((m) => m.step))).toBe(step);
    const config = fs.readFileSync(path.join(dir, 'config.resolved.json'), 'utf8');
    const refused = await xclr(['train', '--resume', dir, '--set', 'train.batchSize=16']);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/cannot resume exactly with batchSize changed \(batchSize: 32 ≠ 16; checkpoint vs\. now\)/);
    expect(fs.readFileSync(path.join(dir, 'config.resolved.json'), 'utf8')).toBe(config);
  });
});
