import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createObjective, fit } from '../src/index.js';
import { seededSource, tinyModel, tmpDir } from './helpers.js';

const child = fileURLToPath(new URL('./fixtures/train-child.ts', import.meta.url));

/** Starts the training child, SIGKILLs it once its log reaches `killAt` steps, returns the steps it logged. */
function trainUntilKilled(dir: string, every: number, log: string, killAt: number): Promise<number> {
  const proc = spawn(process.execPath, ['--conditions=@xclr/source', '--import', 'tsx', child, dir, String(every), log], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const poll = setInterval(() => {
    const lines = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').length : 0;
    if (lines >= killAt) proc.kill('SIGKILL');
  }, 5);
  return new Promise((resolve) =>
    proc.on('exit', () => {
      clearInterval(poll);
      resolve(fs.readFileSync(log, 'utf8').trim().split('\n').length);
    }),
  );
}

/** Losses of steps 1..n of the same run, uninterrupted, in this process. */
async function uninterrupted(steps: number): Promise<number[]> {
  const model = tinyModel(1);
  const losses: number[] = [];
  await fit({
    objective: createObjective('xclr', { model, temperature: 0.5 }),
    data: seededSource(),
    optimizer: tf.train.adam(1e-2),
    epochs: 50,
    maxSteps: steps,
    callbacks: [{ onStepEnd: (s) => void losses.push(s.loss) }],
  });
  model.dispose();
  return losses;
}

describe('kill -9 at any moment', () => {
  it('loses at most checkpoint.every steps, and the resumed run logs the losses of an uninterrupted one', {
    timeout: 300_000,
  }, async () => {
    const every = 3;
    const reference = await uninterrupted(40);
    for (const killAt of [5, 13]) {
      const dir = tmpDir('xclr-kill-');
      const log = path.join(dir, 'losses.txt');
      const logged = await trainUntilKilled(path.join(dir, 'ckpt'), every, log, killAt);
      const saved = JSON.parse(fs.readFileSync(path.join(dir, 'ckpt', 'last', 'manifest.json'), 'utf8')).step;
      expect(logged - saved).toBeLessThanOrEqual(every);
      // The resumed process starts at the checkpoint: its steps repeat the lost ones exactly.
      await trainUntilKilled(path.join(dir, 'ckpt'), every, log, logged + 6);
      const lines = fs
        .readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(' ').map(Number));
      const resumed = lines.slice(logged);
      expect(resumed[0][0]).toBe(saved + 1);
      for (const [step, loss] of resumed) expect(loss).toBe(reference[step - 1]);
      for (const [step, loss] of lines.slice(0, logged)) expect(loss).toBe(reference[step - 1]);
    }
  });
});
