#!/usr/bin/env node
// Peak RSS and wall time of one `xclr` command (GNU time: the largest of the CLI and the process
// it starts itself as), appended as a record to a JSON file, so a memory claim is a command anyone
// can rerun:
//
//   npm run bench:peak-rss -- --out docs/results/large-batch.json --label batch-8192 -- \
//     train --preset fmnist-xclr --set train.batchSize=8192 --set train.chunkSize=512 ...
//
// Needs a built CLI (`npm run build`) and GNU time (/usr/bin/time, Debian package `time`). A
// record with the same label is replaced.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const split = process.argv.indexOf('--');
if (split < 0) throw new Error('usage: node bench/peak-rss.mjs --out FILE --label NAME -- XCLR_ARGS...');
const own = process.argv.slice(2, split);
const args = process.argv.slice(split + 1);
const option = (name) => {
  const i = own.indexOf(`--${name}`);
  if (i < 0) throw new Error(`--${name} is required`);
  return own[i + 1];
};
const out = path.resolve(option('out'));
const label = option('label');
if (!fs.existsSync('/usr/bin/time')) throw new Error('/usr/bin/time not found: install GNU time (apt install time)');
const xclr = path.join(root, 'apps', 'train', 'bin', 'xclr.js');

const t0 = performance.now();
const r = spawnSync('/usr/bin/time', ['-f', 'maxrss-kb %M', process.execPath, xclr, ...args], {
  encoding: 'utf8',
  stdio: ['ignore', 'inherit', 'pipe'],
  env: { ...process.env, CI: '1' },
});
const seconds = (performance.now() - t0) / 1000;
process.stderr.write(r.stderr.replace(/^maxrss-kb \d+\n?/m, ''));
const rss = Number(/maxrss-kb (\d+)/.exec(r.stderr)?.[1]);
if (r.status !== 0 || !rss) throw new Error(`xclr ${args.join(' ')} failed (exit ${r.status})`);
const record = { label, date: new Date().toISOString(), cores: os.availableParallelism(), command: `xclr ${args.join(' ')}`, peakRssMB: rss / 1024, seconds };
const existing = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')) : { runs: [] };
existing.runs = [...existing.runs.filter((x) => x.label !== label), record];
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${JSON.stringify(existing, null, 2)}\n`);
console.log(`${label}: peak RSS ${record.peakRssMB.toFixed(0)} MB, ${seconds.toFixed(0)} s → ${out}`);
