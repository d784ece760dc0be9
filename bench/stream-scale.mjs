#!/usr/bin/env node
// Memory and start-up of `xclr train` on streamed WebDataset shards as the dataset grows: the same
// command on a 10,000- and a 100,000-sample synthetic set at 64×64, each run's peak RSS (GNU time:
// the largest of the CLI and the process it starts itself as) and the seconds from launch to the
// end of its first training step. Prints a table and writes docs/results/stream-scale.json.
//
//   npm run bench:stream-scale -- [--sizes 10000,100000] [--steps 100] [--dir DIR] [--out FILE]
//
// The sets are written once under DIR (default $TMPDIR/xclr-stream-scale) with `xclr data synth`.
// Needs a built CLI (`npm run build`) and GNU time (/usr/bin/time, Debian package `time`). Run it
// on an otherwise idle machine.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const sizes = arg('sizes', '10000,100000').split(',').map(Number);
const steps = arg('steps', '100');
const dir = arg('dir', path.join(os.tmpdir(), 'xclr-stream-scale'));
const out = arg('out', path.join(root, 'docs', 'results', 'stream-scale.json'));
const xclr = path.join(root, 'apps', 'train', 'bin', 'xclr.js');
if (!fs.existsSync('/usr/bin/time')) throw new Error('/usr/bin/time not found: install GNU time (apt install time)');
if (!fs.existsSync(path.join(root, 'apps', 'train', 'dist', 'cli.js'))) throw new Error('build the CLI first: npm run build');

/** Runs `xclr ARGS` under GNU time; resolves with its peak RSS and when its first step ended. */
function timedRun(args, runs) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-f', 'maxrss-kb %M', process.execPath, xclr, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let firstStep = null;
    let err = '';
    child.stdout.resume();
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text) => {
      err += text;
    });
    // With train.logEvery=1 the run's metrics.jsonl gets the record of step 1 as that step ends.
    const poll = setInterval(() => {
      const [run] = fs.readdirSync(runs);
      const metrics = run && path.join(runs, run, 'metrics.jsonl');
      if (metrics && fs.existsSync(metrics) && fs.readFileSync(metrics, 'utf8').includes('"step":1,')) {
        firstStep = (performance.now() - started) / 1000;
        clearInterval(poll);
      }
    }, 100);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      const rss = Number(/maxrss-kb (\d+)/.exec(err)?.[1]);
      if (code !== 0 || !rss) reject(new Error(`xclr ${args.join(' ')} failed (${code}):\n${err.slice(-2000)}`));
      else resolve({ peakRssMB: rss / 1024, firstStepSeconds: firstStep, seconds: (performance.now() - started) / 1000 });
    });
  });
}

const rows = [];
for (const n of sizes) {
  const data = path.join(dir, `synth-${n}-64`);
  if (!fs.existsSync(path.join(data, 'done'))) {
    fs.rmSync(data, { recursive: true, force: true });
    execFileSync(process.execPath, [xclr, 'data', 'synth', '--out', data, '--train', String(n), '--test', '1000', '--size', '64'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    fs.writeFileSync(path.join(data, 'done'), '');
  }
  const runs = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-stream-scale-runs-'));
  // The command: streamed shards, the synthetic set's `original` split as the test set.
  const args = ['train', '--preset', 'synth-xclr', '--runs-dir', runs];
  for (const set of [
    'data.dataset=webdataset',
    `data.path=${data}`,
    'data.testSplit=original',
    'data.imageSize=64',
    `train.maxSteps=${steps}`,
    'train.logEvery=1',
    'eval.trainSize=2000',
    'eval.testSize=1000',
  ])
    args.push('--set', set);
  const r = await timedRun(args, runs);
  fs.rmSync(runs, { recursive: true, force: true });
  rows.push({ samples: n, ...r });
  console.error(`${n} samples: peak RSS ${r.peakRssMB.toFixed(0)} MB, first step after ${r.firstStepSeconds?.toFixed(1)} s`);
}

const base = rows[0];
console.log(`xclr train --preset synth-xclr on streamed 64×64 shards, ${steps} steps, ${os.availableParallelism()} cores`);
console.log(['samples', 'peak RSS MB', 'vs smallest', 'first step s', 'total s'].map((h) => h.padStart(14)).join(''));
for (const r of rows)
  console.log(
    [r.samples, r.peakRssMB.toFixed(0), `${(r.peakRssMB / base.peakRssMB).toFixed(2)}×`, r.firstStepSeconds?.toFixed(1), r.seconds.toFixed(0)]
      .map((c) => String(c).padStart(14))
      .join(''),
  );
const result = { date: new Date().toISOString(), cores: os.availableParallelism(), steps: Number(steps), imageSize: 64, rows };
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${out}`);
