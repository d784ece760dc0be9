#!/usr/bin/env node
// A sharded top-k graph build at scale, as an array job runs it: `xclr graph topk --shard i/n`
// processes over one embeddings file (random unit rows), each timed with its peak RSS (GNU time),
// then `xclr graph merge` when every shard ran. Prints a table and writes
// docs/results/topk-sharded.json with the measured shards and the projected totals: the whole
// build here (the shards are equal by construction: every n-th query block) and CC12M (work grows
// with rows²) on an n-node job.
//
//   npm run bench:topk-sharded -- [--rows 1000000] [--dim 384] [--k 16] [--shards 8] [--run 0,1,...]
//       [--parallel 2]
//
// `--run` picks which shards to run (default all; on 2 cores a 1,000,000-row build takes hours, so
// a subset measures what one node of the job does), `--parallel` how many run at once (each shard
// process computes on one core here: two at a time use both). Shards measured by earlier calls
// (same rows, dim, k, shards) are kept in the JSON, so a build can be measured over several calls. Files go to $TMPDIR/xclr-topk-sharded-<rows>-<dim>
// (the embeddings file is kept and reused: rows × dim × 4 bytes). Needs a built CLI and GNU time.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeEmbeddingsFile } from '@xclr/graph';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const rows = Number(arg('rows', '1000000'));
const dim = Number(arg('dim', '384'));
const k = Number(arg('k', '16'));
const shards = Number(arg('shards', '8'));
const run = arg('run', [...Array(shards).keys()].join(',')).split(',').map(Number);
const parallel = Number(arg('parallel', '1'));
const out = arg('out', path.join(root, 'docs', 'results', 'topk-sharded.json'));
const xclr = path.join(root, 'apps', 'train', 'bin', 'xclr.js');
if (!fs.existsSync('/usr/bin/time')) throw new Error('/usr/bin/time not found: install GNU time (apt install time)');

const dir = path.join(os.tmpdir(), `xclr-topk-sharded-${rows}-${dim}`);
const embeddings = path.join(dir, 'embeddings.arrow');
fs.mkdirSync(dir, { recursive: true });
if (!fs.existsSync(embeddings)) {
  // Deterministic random unit rows (mulberry32 + Box–Muller).
  let state = 11;
  const rand = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const x = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < dim; c++) {
      const v = Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
      x[r * dim + c] = v;
      s += v * v;
    }
    s = Math.sqrt(s);
    for (let c = 0; c < dim; c++) x[r * dim + c] /= s;
  }
  const ids = Array.from({ length: rows }, (_, r) => `r${r}`);
  writeEmbeddingsFile(embeddings, { ids, dim, embeddings: x, encoder: 'random', normalized: true });
}

/** One shard process under GNU time: wall seconds and peak RSS. */
function timeShard(i) {
  const file = path.join(dir, `topk-${i}-of-${shards}.arrow`);
  const args = ['-f', 'maxrss-kb %M', process.execPath, xclr, 'graph', 'topk', '--embeddings', embeddings, '--k', String(k)];
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', [...args, '--shard', `${i}/${shards}`, '--out', file], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, CI: '1' },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text) => {
      stderr += text;
    });
    child.on('error', reject);
    child.on('close', (status) => {
      const seconds = (performance.now() - t0) / 1000;
      const rss = Number(/maxrss-kb (\d+)/.exec(stderr)?.[1]);
      if (status !== 0 || !rss) return reject(new Error(`shard ${i}/${shards} failed (${status}):\n${stderr.slice(-2000)}`));
      const engine = /on (.+) →/.exec(stderr)?.[1] ?? null;
      console.error(`shard ${i}/${shards}: ${seconds.toFixed(0)} s, peak RSS ${(rss / 1024).toFixed(0)} MB (${engine})`);
      resolve({ shard: i, seconds, peakRssMB: rss / 1024, engine, parallel, file });
    });
  });
}

// Earlier calls' shards of the same build, then this call's, `parallel` at a time.
const previous = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')) : null;
const same = previous && previous.rows === rows && previous.dim === dim && previous.k === k && previous.shards === shards;
const kept = same ? previous.measured.filter((m) => !run.includes(m.shard)) : [];
const queue = [...run];
const fresh = [];
await Promise.all(
  Array.from({ length: Math.min(parallel, queue.length) }, async () => {
    while (queue.length) fresh.push(await timeShard(queue.shift()));
  }),
);
const measured = [...kept.map((m) => ({ ...m, file: path.join(dir, `topk-${m.shard}-of-${shards}.arrow`) })), ...fresh].sort(
  (a, b) => a.shard - b.shard,
);
let merge = null;
if (measured.length === shards) {
  const t0 = performance.now();
  execFileSync(process.execPath, [xclr, 'graph', 'merge', ...measured.map((m) => m.file), '--out', path.join(dir, 'topk.arrow')]);
  merge = { seconds: (performance.now() - t0) / 1000 };
}
const perShard = measured.reduce((a, m) => a + m.seconds, 0) / measured.length;
// Each shard process computes on one core here: on this machine two run at a time.
const buildSeconds = (perShard * shards) / 2 + (merge?.seconds ?? 0);
// CC12M: 12 million rows, the work of every shard grows with rows² (queries × rows); a node runs
// one shard process per core, as here.
const cc12m = (nodes) => ({ nodes, hours: (perShard * shards * (12e6 / rows) ** 2) / (2 * nodes) / 3600 });
const result = {
  date: new Date().toISOString(),
  cores: os.availableParallelism(),
  rows,
  dim,
  k,
  shards,
  measured: measured.map(({ file, ...m }) => m),
  merge,
  projected: {
    note: measured.length === shards ? 'all shards measured' : `${measured.length} of ${shards} shards measured; the rest projected from their mean`,
    buildSecondsOnThisMachine: buildSeconds,
    buildNote: 'shards two at a time (one core each) plus the merge',
    cc12m: [8, 32, 128].map(cc12m),
  },
};
console.log(`top-${k} of ${rows} × ${dim} random unit rows in ${shards} shards, ${os.availableParallelism()} cores`);
console.log(['shard', 'seconds', 'peak RSS MB'].map((h) => h.padStart(14)).join(''));
for (const m of measured) console.log([`${m.shard}/${shards}`, m.seconds.toFixed(0), m.peakRssMB.toFixed(0)].map((c) => c.padStart(14)).join(''));
console.log(`whole build here, two shards at a time: ${(buildSeconds / 3600).toFixed(2)} h (${result.projected.note})`);
for (const c of result.projected.cc12m) console.log(`CC12M on ${c.nodes} such 2-core nodes: ${c.hours.toFixed(1)} h`);
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${out}`);
