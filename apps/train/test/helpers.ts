import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSynthetic, writeWebDataset } from '@xclr/data';
import { main } from '../src/index.js';

/** Runs the real CLI entry in-process, capturing its output. */
export async function xclr(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A run small enough for a test on the cpu backend. */
export const TINY = [
  '--backend',
  'cpu',
  '--set',
  'model.encoder.hidden=[32]',
  '--set',
  'model.head={"hidden":32,"output":16}',
  '--set',
  'train.batchSize=32',
  '--set',
  'train.logEvery=1',
  '--set',
  'eval.trainSize=600',
  '--set',
  'eval.testSize=200',
  '--set',
  'eval.linearEpochs=5',
];

export function runDirIn(root: string): string {
  const dirs = fs.readdirSync(root);
  if (dirs.length !== 1) throw new Error(`expected one run directory in ${root}, found ${dirs.join(', ')}`);
  return path.join(root, dirs[0]);
}

export function stepLosses(runDir: string): [number, number][] {
  return fs
    .readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((r) => r.kind === 'step')
    .map((r) => [r.step, r.loss]);
}

/**
 * Labelled, captioned WebDataset shards in `dir/train` and `dir/test` (the synthetic set's
 * generator over 40 plain objects): `train` samples in shards of `shardSize`, 40 test samples.
 */
export async function writeCaptionedShards(dir: string, train: number, shardSize: number): Promise<void> {
  const pixels = new Uint8Array(40 * 784);
  for (let i = 0; i < 40; i++) pixels.fill(40 + 20 * (i % 10), i * 784 + 100 + 10 * i, i * 784 + 500);
  const labels = Int32Array.from({ length: 40 }, (_, i) => i % 10);
  const classNames = Array.from({ length: 10 }, (_, i) => `class ${i}`);
  const objects = { name: 'objects', size: 40, height: 28, width: 28, channels: 1, pixels, labels, classNames, source: 'test' };
  await writeWebDataset(generateSynthetic(objects, train, 1, 'train'), path.join(dir, 'train'), 'train', shardSize);
  await writeWebDataset(generateSynthetic(objects, 40, 2, 'original'), path.join(dir, 'test'), 'test', 100);
}
