import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TINY, tmpDir, xclr } from './helpers.js';

describe('errors: one clear line and a non-zero exit', () => {
  it('an unknown config key suggests the closest valid one', async () => {
    const r = await xclr(['config', 'print', '--set', 'train.epcohs=3']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('xclr: config error: --set: unknown key "train.epcohs"; did you mean "train.epochs"?');
  });

  it('a bad value names the field', async () => {
    const r = await xclr(['config', 'print', '--set', 'train.batchSize=1']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^xclr: config error: --set: train\.batchSize: .*2/);
  });

  it('config files: unknown preset, missing file, unknown key in YAML', async () => {
    expect((await xclr(['config', 'print', '--preset', 'nope'])).err).toMatch(/unknown preset "nope"; available: fmnist-xclr/);
    expect((await xclr(['config', 'print', '--config', '/nonexistent.yaml'])).err).toBe(
      'xclr: config error: /nonexistent.yaml: config file not found',
    );
    const dir = tmpDir('xclr-cfg-');
    const file = path.join(dir, 'run.yaml');
    const printed = JSON.parse((await xclr(['config', 'print'])).out);
    fs.writeFileSync(file, `${JSON.stringify({ ...printed, trian: {} })}`.replace(/^/, ''));
    const r = await xclr(['config', 'print', '--config', file]);
    expect(r.err).toBe(`xclr: config error: ${file}: unknown key "trian"; did you mean "train"?`);
  });

  it('config print resolves presets with overrides', async () => {
    const r = await xclr(['config', 'print', '--preset', 'fmnist-supcon', '--set', 'train.epochs=2']);
    expect(r.code).toBe(0);
    const cfg = JSON.parse(r.out);
    expect(cfg.loss.type).toBe('supcon');
    expect(cfg.train.epochs).toBe(2);
  });

  it('data.synth.size sets the image and encoder input side of the synthetic set, unless data.imageSize does', async () => {
    const print = async (...set: string[]) =>
      JSON.parse((await xclr(['config', 'print', '--preset', 'synth-xclr', ...set.flatMap((s) => ['--set', s])])).out);
    const synth = 'data.synth={"train":100,"test":20,"seed":0,"version":2,"size":64}';
    const at64 = await print(synth);
    expect(at64.data.imageSize).toBe(64);
    expect(at64.model.encoder.inputShape).toEqual([64, 64, 3]);
    const resized = await print(synth, 'data.imageSize=48');
    expect(resized.model.encoder.inputShape).toEqual([48, 48, 3]);
    const bad = await xclr([
      'config',
      'print',
      '--preset',
      'synth-xclr',
      '--set',
      'data.synth={"train":100,"test":20,"seed":0,"size":16}',
    ]);
    expect(bad.code).toBe(2); // a usage error, like every config error
    expect(bad.err).toContain('data.synth.size');
  });

  it('missing dataset directory, unwritable run directory, incompatible checkpoint', async () => {
    const missing = await xclr(['train', ...TINY, '--set', 'data.dataDir="/nonexistent-data"', '--runs-dir', tmpDir('xclr-r-')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/xclr: \/nonexistent-data: missing train-images-idx3-ubyte\(\.gz\)/);
    const blocker = path.join(tmpDir('xclr-ro-'), 'file');
    fs.writeFileSync(blocker, '');
    const unwritable = await xclr(['train', ...TINY, '--runs-dir', path.join(blocker, 'runs')]);
    expect(unwritable.code).toBe(1);
    expect(unwritable.err).toMatch(/xclr: cannot create run directory .*: (ENOTDIR|EEXIST)/);
    const runs = tmpDir('xclr-inc-');
    expect((await xclr(['train', ...TINY, '--set', 'train.maxSteps=1', '--runs-dir', runs])).code).toBe(0);
    const dir = path.join(runs, fs.readdirSync(runs)[0]);
    const bad = await xclr(['train', '--resume', dir, '--set', 'model.encoder.hidden=[64]']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/checkpoint is for another architecture \(architecture\.model\.encoder\.hidden\.0: 32 ≠ 64\)/);
    expect(bad.err.split('\n').filter((l) => l.startsWith('xclr:'))).toHaveLength(1);
    expect(bad.err).not.toMatch(/\n\s+at /);
  });
});
