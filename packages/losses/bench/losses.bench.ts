// Forward + backward time of each loss at N ∈ {256, 1024, 4096}, D = 128, on each backend
// present, and X-CLR's overhead over NT-Xent as a ratio within the same run.
//   npm run bench -w @xclr/losses            (writes bench/results/losses.json)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useFastestBackend } from '@xclr/backend';
import { TRAINING_MALLOC_TUNABLES } from '@xclr/process';
import { relaunchWithMallocTuning } from '@xclr/process';
import { clipLoss, ntXentLoss, supConLoss, xclrLoss } from '../src/index.js';

// Timed as the xclr CLI trains: with glibc's malloc thresholds fixed (see @xclr/backend).
const child = relaunchWithMallocTuning();
if (child) process.exit(await child);

const D = 128;
const SIZES = (process.env.XCLR_BENCH_SIZES ?? '256,1024,4096').split(',').map(Number);
// XCLR_BENCH_SIZES / XCLR_BENCH_REPS narrow a run (one N = 4096 repetition is ~40 s for all losses here).
// The pure-JS cpu backend needs minutes per rep at N = 4096: by default it is measured up to this
// size (XCLR_BENCH_CPU_MAX_N raises it; XCLR_BENCH_BACKENDS=cpu measures it alone).
const CPU_MAX_N = Number(process.env.XCLR_BENCH_CPU_MAX_N ?? 256);
const BACKENDS = (process.env.XCLR_BENCH_BACKENDS ?? 'wasm,cpu').split(',') as ('wasm' | 'cpu')[];

type LossName = 'ntxent' | 'xclr' | 'xclr-cross' | 'supcon' | 'clip';
const LOSSES: Record<LossName, (a: tf.Tensor2D, b: tf.Tensor2D, s: tf.Tensor2D, l: tf.Tensor1D) => tf.Scalar> = {
  ntxent: (a, b) => ntXentLoss(a, b),
  xclr: (a, b, s) => xclrLoss(a, b, s),
  'xclr-cross': (a, b, s) => xclrLoss(a, b, s, { mode: 'cross' }),
  supcon: (a, b, _s, l) => supConLoss(a, b, l),
  clip: (a, b) => clipLoss(a, b),
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface Row {
  backend: string;
  threads: number;
  n: number;
  loss: LossName;
  ms: number;
  ratioToNtXent: number;
}

// PyTorch on the same cores, the same losses (bench/torch_train_step.py --loss-bench, Debian's
// python3-torch with OpenBLAS), measured right after the tfjs numbers of each N: as installed,
// and with the malloc settings this process runs with (page faults cost PyTorch as much).
const TORCH_SCRIPT = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', '..', 'bench', 'torch_train_step.py');
const TORCH_RUNS = { pytorch: false, 'pytorch, GLIBC_TUNABLES': true } as const;
function torchMs(n: number, reps: number, tuned: boolean): Record<string, number> | null {
  if (process.env.XCLR_BENCH_TORCH === '0' || !fs.existsSync('/usr/bin/python3')) return null;
  const { GLIBC_TUNABLES, ...installed } = process.env;
  const env = tuned ? { ...installed, GLIBC_TUNABLES: TRAINING_MALLOC_TUNABLES } : installed;
  try {
    const out = execFileSync('/usr/bin/python3', [TORCH_SCRIPT, '--loss-bench', String(n), '--reps', String(reps)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      env,
    });
    return JSON.parse(out.trim().split('\n').pop() as string).ms;
  } catch {
    return null; // no PyTorch here: tfjs numbers only
  }
}

const rows: Row[] = [];
for (const backend of BACKENDS) {
  const choice = await useFastestBackend({ backend });
  for (const n of SIZES) {
    if (backend === 'cpu' && n > CPU_MAX_N) continue;
    const zA = tf.randomNormal([n, D], 0, 1, 'float32', 1) as tf.Tensor2D;
    const zB = tf.randomNormal([n, D], 0, 1, 'float32', 2) as tf.Tensor2D;
    const labels = tf.tensor1d(
      Array.from({ length: n }, (_, i) => i % 100),
      'int32',
    );
    const s = tf.tidy(() => {
      const c = tf.randomNormal([n, 64], 0, 1, 'float32', 3);
      const u = tf.div(c, tf.norm(c, 2, 1, true));
      return tf.matMul(u, u, false, true) as tf.Tensor2D;
    });
    const reps = Number(process.env.XCLR_BENCH_REPS ?? (backend === 'cpu' ? 3 : n >= 4096 ? 3 : 10));
    const times: Partial<Record<LossName, number[]>> = {};
    // Interleave the losses within each repetition so machine noise hits them alike.
    // One untimed warm-up repetition unless XCLR_BENCH_WARMUP=0 (the cpu backend at N = 4096).
    const warmup = Number(process.env.XCLR_BENCH_WARMUP ?? 1);
    for (let r = -warmup; r < reps; r++) {
      for (const [name, loss] of Object.entries(LOSSES) as [LossName, (typeof LOSSES)[LossName]][]) {
        const t0 = performance.now();
        const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) =>
          loss(a as tf.Tensor2D, b as tf.Tensor2D, s, labels),
        )([zA, zB]);
        await grads[1].data();
        tf.dispose([value, ...grads]);
        if (r >= 0) (times[name] ??= []).push(performance.now() - t0);
        if (process.env.XCLR_BENCH_VERBOSE)
          console.log(`${backend} N=${n} ${name} rep ${r}: ${(performance.now() - t0).toFixed(0)} ms`);
      }
    }
    const base = median(times.ntxent as number[]);
    for (const name of Object.keys(LOSSES) as LossName[]) {
      const ms = median(times[name] as number[]);
      rows.push({ backend, threads: choice.threads, n, loss: name, ms, ratioToNtXent: ms / base });
    }
    tf.dispose([zA, zB, labels, s]);
    if (backend === 'wasm') {
      for (const [runner, tuned] of Object.entries(TORCH_RUNS)) {
        const torch = torchMs(n, reps, tuned);
        for (const [name, ms] of Object.entries(torch ?? {})) {
          rows.push({
            backend: runner,
            threads: 0,
            n,
            loss: name as LossName,
            ms,
            ratioToNtXent: ms / (torch as Record<string, number>).ntxent,
          });
        }
      }
    }
  }
}

console.log(`forward + backward, D = ${D}, median ms (ratio to NT-Xent in the same run)`);
console.log(['backend'.padEnd(24), 'N'.padStart(6), ...Object.keys(LOSSES).map((h) => h.padStart(15))].join(''));
for (const backend of [...new Set(rows.map((r) => `${r.backend}:${r.n}`))]) {
  const group = rows.filter((r) => `${r.backend}:${r.n}` === backend);
  const cells = (Object.keys(LOSSES) as LossName[]).map((name) => {
    const r = group.find((g) => g.loss === name);
    return r ? `${r.ms.toFixed(1)} (${r.ratioToNtXent.toFixed(2)})` : '–';
  });
  console.log([group[0].backend.padEnd(24), String(group[0].n).padStart(6), ...cells.map((c) => c.padStart(15))].join(''));
}
for (const runner of Object.keys(TORCH_RUNS)) {
  const torchRows = rows.filter((r) => r.backend === runner);
  if (torchRows.length === 0) continue;
  console.log(`\nwasm time / ${runner} time, same loss and N (below 1: faster than PyTorch)`);
  for (const t of torchRows) {
    const w = rows.find((r) => r.backend === 'wasm' && r.n === t.n && r.loss === t.loss);
    if (w) console.log(`  N=${t.n} ${t.loss.padEnd(7)} ${(w.ms / t.ms).toFixed(2)}×`);
  }
}
const out = process.env.XCLR_BENCH_OUT ?? path.join(path.dirname(new URL(import.meta.url).pathname), 'results', 'losses.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), d: D, rows }, null, 2)}\n`);
console.log(`wrote ${out}`);
