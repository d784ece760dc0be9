import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
