#!/usr/bin/env node
// Training-step throughput of xclr against PyTorch on the same CPU: the same models, X-CLR loss,
// two views and Adam (bench/train-step-cases.mjs lists the rows: MLP and ConvNet at batch 256,
// ResNet-18 at 256 and 32, and the X-CLR loss alone at N = 1024). PyTorch runs in three
// environments (as installed, OPENBLAS_NUM_THREADS=1, xclr's GLIBC_TUNABLES) and each row is
// compared with the best of them. The runs of one row are interleaved over rounds (every other
// round in reverse order) and the medians compared, so machine noise hits all alike. Each step's
// achieved GFLOP/s is reported next to the machine's measured sgemm peak. Prints a table and
// writes docs/results/train-step.json; `node bench/train-step-table.mjs --write` then rewrites
// the table in packages/backend/README.md from it.
//
//   npm run bench:train-step                      every row, full rounds (tens of minutes)
//   npm run bench:train-step -- --quick --models mlp,loss
//   options: --models <ids> (mlp, convnet, resnet18@256, resnet18@32, loss; resnet18: both)
//            --rounds <n>   --quick (one round, few steps, no extra runners)
//            --batch <n> (training rows)   --out <file>   --no-peak
//
// That runs this script on the sources (node --conditions=@xclr/source --import tsx), no build
// needed; each xclr runner is bench/src/train-step-cli.ts (`npm run bench:step`), started with
// this process's --conditions, which starts itself again with the training malloc settings.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TRAINING_MALLOC_TUNABLES } from '@xclr/process';
import { CASES, FLOP_CONVENTION, flopPerStep, PYTORCH_ENVIRONMENTS, selectCases, XCLR_RUNNER } from './train-step-cases.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const flag = (name) => argv.includes(`--${name}`);
const quick = flag('quick');
const roundsOverride = arg('rounds') === undefined ? undefined : Number(arg('rounds'));
const batchOverride = arg('batch') === undefined ? undefined : Number(arg('batch'));
const cases = selectCases(arg('models', CASES.map((c) => c.id).join(',')).split(','));
const out = path.resolve(arg('out', path.join(root, 'docs', 'results', 'train-step.json')));
const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const TORCH_SCRIPT = path.join('bench', 'torch_train_step.py');
const PEAK_SIZE = 2048;

// "As installed": no thread or malloc settings from the caller's environment.
const { OPENBLAS_NUM_THREADS: _threads, GLIBC_TUNABLES: _tunables, ...installed } = process.env;
const TORCH_ENV = {
  pytorch: {},
  'pytorch, OPENBLAS_NUM_THREADS=1': { OPENBLAS_NUM_THREADS: '1' },
  "pytorch, xclr's GLIBC_TUNABLES": { GLIBC_TUNABLES: TRAINING_MALLOC_TUNABLES },
};

// The xclr runners resolve packages as this process does (--conditions=@xclr/source: the sources).
const conditions = process.execArgv.flatMap((a, i, all) =>
  a.startsWith('--conditions=') ? [a] : a === '--conditions' || a === '-C' ? [a, all[i + 1]] : [],
);
const nodeTs = (script) => [...conditions, '--import', 'tsx', path.join('bench', 'src', script)];

function run(cmd, args, env = {}) {
  const stdout = execFileSync(cmd, args, {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...installed, ...env },
    maxBuffer: 64 << 20,
    timeout: 60 * 60 * 1000,
  });
  return JSON.parse(stdout.trim().split('\n').pop());
}

function tryRun(cmd, args, env) {
  try {
    return run(cmd, args, env);
  } catch (err) {
    const detail = `${err.stderr ?? ''}`.trim().split('\n').slice(-3).join(' | ') || err.message;
    return { error: detail.slice(0, 500) };
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// sgemm peak: the best of several products of two square float32 matrices, on 1 and 2 threads,
// in PyTorch (its BLAS) and onnxruntime (MLAS, the native engine behind xclr's large products).
function measurePeak() {
  const reps = String(quick ? 2 : 5);
  const runs = [];
  for (const threads of [1, 2]) {
    const t = String(threads);
    const torch = tryRun(
      python,
      [TORCH_SCRIPT, '--sgemm-peak', '--size', String(PEAK_SIZE), '--steps', reps, '--threads', t, '--json'],
      {
        OPENBLAS_NUM_THREADS: t,
      },
    );
    const onnx = tryRun(process.execPath, [
      ...nodeTs('sgemm-peak.ts'),
      '--threads',
      t,
      '--size',
      String(PEAK_SIZE),
      '--reps',
      reps,
    ]);
    for (const r of [torch, onnx]) {
      runs.push({ threads, ...r });
      process.stderr.write(`sgemm peak, ${threads} thread(s): ${r.error ?? `${r.gflops.toFixed(1)} GFLOP/s, ${r.engine}`}\n`);
    }
  }
  const best = {};
  for (const r of runs)
    if (r.gflops && !(best[r.threads]?.gflops >= r.gflops)) best[r.threads] = { engine: r.engine, gflops: r.gflops };
  return { size: PEAK_SIZE, reps: Number(reps), runs, best };
}

function plan(c) {
  const steps = String(quick ? c.quick.steps : c.steps);
  const warmup = String(quick ? c.quick.warmup : c.warmup);
  const batch = c.kind === 'step' ? (batchOverride ?? c.batch) : c.batch;
  const chunk = c.chunk && batch > c.chunk ? c.chunk : null;
  const common =
    c.kind === 'loss'
      ? [
          '--loss-only',
          '--loss',
          'xclr',
          '--batch',
          String(batch),
          '--dim',
          String(c.dim),
          '--steps',
          steps,
          '--warmup',
          warmup,
          '--json',
        ]
      : ['--model', c.model, '--loss', 'xclr', '--batch', String(batch), '--steps', steps, '--warmup', warmup, '--json'];
  const torch =
    (env, extra = []) =>
    () =>
      tryRun(python, [TORCH_SCRIPT, ...common, ...extra], env);
  const xclr =
    (extra, env = {}, args = common) =>
    () =>
      tryRun(
        process.execPath,
        [...nodeTs('train-step-cli.ts'), ...args, ...(chunk ? ['--chunk', String(chunk)] : []), '--backend', 'wasm', ...extra],
        env,
      );
  const runners = [
    ...PYTORCH_ENVIRONMENTS.map((e) => ({ runner: e.runner, pytorchEnvironment: e.environment, fn: torch(TORCH_ENV[e.runner]) })),
    {
      runner: XCLR_RUNNER,
      fn: xclr([]),
      profile: xclr(
        ['--profile'],
        {},
        common.map((a, i) => (common[i - 1] === '--steps' ? '2' : a)),
      ),
    },
  ];
  // Extra runners where they are cheap (not with --quick): what each part of xclr's setup adds.
  if (!quick && c.kind === 'step' && c.model !== 'resnet18') {
    // xclr encodes both views as one batch where the encoder has no batch norm; the same in PyTorch.
    // (Not for the ConvNet: PyTorch's step on 512 images is several times slower than two of 256.)
    if (c.model === 'mlp') runners.push({ runner: 'pytorch, views in one pass', extra: true, fn: torch({}, ['--concat-views']) });
    // onnxruntime-node's native kernels and the malloc settings, each left out.
    runners.push({ runner: 'xclr wasm, XNNPACK only', extra: true, fn: xclr(['--no-native']) });
    runners.push({ runner: 'xclr wasm, glibc malloc defaults', extra: true, fn: xclr([], { XCLR_MALLOC_TUNING: '0' }) });
    // The pure-JS cpu backend takes seconds per MLP step and minutes per ConvNet step: the MLP only.
    if (c.model === 'mlp') {
      const cpuArgs = common.map((a, i) => (common[i - 1] === '--steps' ? '3' : common[i - 1] === '--warmup' ? '1' : a));
      runners.push({
        runner: 'xclr cpu',
        extra: true,
        fn: () => tryRun(process.execPath, [...nodeTs('train-step-cli.ts'), ...cpuArgs, '--backend', 'cpu']),
      });
    }
  }
  return {
    batch,
    chunk,
    steps: Number(steps),
    warmup: Number(warmup),
    rounds: roundsOverride ?? (quick ? 1 : c.rounds),
    runners,
  };
}

/** The kernels of one profiled xclr step: total kernel time and the largest, with their shares. */
function xclrProfile(p) {
  const res = p.runners.find((r) => r.runner === XCLR_RUNNER).profile();
  if (res.error || !res.kernels) return null;
  const kernelMs = res.kernels.reduce((a, k) => a + k.ms, 0);
  const top = res.kernels.slice(0, 8).map((k) => ({ ...k, share: k.ms / kernelMs }));
  return { kernelMs, stepMs: res.medianStepMs, kernels: top };
}

const started = new Date();
const doc = {
  schema: 2,
  date: started.toISOString(),
  machine: {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadAverageAtStart: os.loadavg(),
  },
  command: `npm run bench:train-step${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
  quick,
  mallocTunables: TRAINING_MALLOC_TUNABLES,
  conventions: {
    flops: FLOP_CONVENTION,
    ratio:
      "ratioToPytorchBest: PyTorch's best median time / this runner's median time (above 1: faster than PyTorch's best). PyTorch's best is the fastest of its three environments (pytorchEnvironment) in the same rounds.",
    target: `target: least ratioToPytorchBest of the row's "${XCLR_RUNNER}" runner; marginToTarget = ratio / target − 1 (negative: missed by that fraction).`,
    median:
      "medianStepMs: the median over rounds of each process's median step (a training step on two views, Adam; or the loss's forward + backward) after its warm-up steps; eachRoundMs: those per round, in run order. Rounds interleave the runners, every other round in reverse order.",
    peak: "sgemmPeak: the best GFLOP/s of `reps` products of two size × size float32 matrices, per engine and thread count; ofPeak: a runner's gflops / the best peak on as many threads or fewer.",
  },
  pytorch: null,
  sgemmPeak: null,
  rows: [],
  runs: [],
};

function write() {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(doc, null, 2)}\n`);
}

if (!flag('no-peak')) doc.sgemmPeak = measurePeak();
// A runner on t threads against the best peak on t threads or fewer (under load the 2-thread
// products can come out slower than the 1-thread ones).
const peakFor = (threads) => {
  const peaks = Object.entries(doc.sgemmPeak?.best ?? {}).filter(([t]) => Number(t) <= threads);
  return peaks.length ? Math.max(...peaks.map(([, b]) => b.gflops)) : null;
};

for (const c of cases) {
  const p = plan(c);
  const flop = flopPerStep(c, p.batch);
  const samples = new Map(p.runners.map((r) => [r.runner, []]));
  for (let round = 0; round < p.rounds; round++) {
    const order = round % 2 ? [...p.runners].reverse() : p.runners;
    for (const r of order) {
      const t0 = performance.now();
      const res = r.fn();
      samples.get(r.runner).push(res);
      const took = ((performance.now() - t0) / 1000).toFixed(0);
      process.stderr.write(
        `${c.id} round ${round + 1}/${p.rounds} ${r.runner}: ${res.error ? `failed: ${res.error}` : `${res.medianStepMs.toFixed(1)} ms`} (${took} s)\n`,
      );
      if (!doc.pytorch && res.blas) doc.pytorch = { version: res.backend, blas: res.blas };
    }
  }
  const runs = p.runners.map((r) => {
    const list = samples.get(r.runner);
    const ok = list.filter((s) => !s.error);
    const base = {
      row: c.id,
      runner: r.runner,
      ...(r.pytorchEnvironment ? { pytorchEnvironment: r.pytorchEnvironment } : {}),
      extra: !!r.extra,
    };
    if (ok.length === 0) return { ...base, error: list[0].error };
    const first = ok[0];
    const each = list.map((s) => (s.error ? null : s.medianStepMs));
    const ms = median(ok.map((s) => s.medianStepMs));
    const cpuSteps = r.runner === 'xclr cpu';
    const gflops = flop / (ms / 1000) / 1e9;
    return {
      ...base,
      backend: first.backend,
      threads: first.threads,
      ...(r.runner.startsWith('pytorch') ? { blas: first.blas } : { native: first.native ?? null }),
      medianStepMs: ms,
      ...(c.kind === 'step' ? { samplesPerSecond: (1000 * p.batch) / ms } : {}),
      gflops,
      ofPeak: peakFor(first.threads) ? gflops / peakFor(first.threads) : null,
      pageFaultsPerStep: median(ok.map((s) => s.pageFaultsPerStep ?? Number.NaN)),
      ...(c.kind === 'loss' ? { lossValue: first.lossValue } : {}),
      ...(cpuSteps ? { steps: 3, warmup: 1 } : {}),
      rounds: ok.length,
      ...(ok.length < list.length ? { failedRounds: list.length - ok.length, error: list.find((s) => s.error).error } : {}),
      eachRoundMs: each,
    };
  });
  const envs = runs.filter((r) => r.pytorchEnvironment && r.medianStepMs);
  const best = envs.reduce((a, b) => (b.medianStepMs < a.medianStepMs ? b : a), envs[0]);
  for (const r of runs) if (r.medianStepMs && best) r.ratioToPytorchBest = best.medianStepMs / r.medianStepMs;
  const x = runs.find((r) => r.runner === XCLR_RUNNER);
  const ratio = x?.ratioToPytorchBest ?? null;
  const row = {
    id: c.id,
    label: c.label,
    kind: c.kind,
    model: c.model,
    batch: p.batch,
    ...(c.kind === 'loss' ? { dim: c.dim } : { chunk: p.chunk }),
    rounds: p.rounds,
    steps: p.steps,
    warmup: p.warmup,
    flopPerStep: flop,
    pytorchBest: best ? { runner: best.runner, environment: best.pytorchEnvironment, medianStepMs: best.medianStepMs } : null,
    pytorchEnvironmentsMeasured: envs.map((r) => r.pytorchEnvironment),
    xclr: x?.medianStepMs ? { runner: XCLR_RUNNER, medianStepMs: x.medianStepMs, gflops: x.gflops, ofPeak: x.ofPeak } : null,
    ratioToPytorchBest: ratio,
    target: c.target,
    met: ratio == null || c.target == null ? null : ratio >= c.target,
    marginToTarget: ratio == null || c.target == null ? null : ratio / c.target - 1,
  };
  if (c.kind === 'loss') {
    // Both sides compute the same loss on the same inputs: their values must agree.
    const values = runs.filter((r) => r.lossValue != null).map((r) => r.lossValue);
    row.lossValues = { xclr: x?.lossValue ?? null, pytorch: envs[0]?.lossValue ?? null };
    row.lossValuesAgree = values.length > 1 && Math.max(...values) - Math.min(...values) <= 1e-4 * Math.abs(values[0]);
    if (!row.lossValuesAgree)
      process.stderr.write(`warning: xclr's and PyTorch's X-CLR loss values differ: ${values.join(', ')}\n`);
  }
  // Where the time goes: one more xclr process times one step (or loss) per kernel (tf.profile).
  const profiled = xclrProfile(p);
  if (profiled) row.profile = profiled;
  doc.rows = [...doc.rows.filter((r) => r.id !== c.id), row];
  doc.runs = [...doc.runs.filter((r) => r.row !== c.id), ...runs];
  doc.machine.loadAverageAtEnd = os.loadavg();
  doc.minutes = (Date.now() - started.getTime()) / 60000;
  write(); // after every row: an interrupted run keeps the rows it finished
}

if (doc.pytorch && !doc.pytorch.blas.startsWith('OpenBLAS')) {
  process.stderr.write(`warning: PyTorch runs on ${doc.pytorch.blas}, not OpenBLAS (apt-get install libopenblas0-pthread)\n`);
}
const fmt = (v, d = 0) => (v == null ? '–' : v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
console.log(`X-CLR training step (two views, Adam) and loss: median ms; ratio to PyTorch's best environment in the same rounds`);
if (doc.sgemmPeak) {
  console.log(
    `sgemm peak (${PEAK_SIZE}², best of ${doc.sgemmPeak.reps}): ${Object.entries(doc.sgemmPeak.best)
      .map(([t, b]) => `${t} thread(s) ${fmt(b.gflops, 1)} GFLOP/s (${b.engine})`)
      .join('; ')}`,
  );
}
console.log(
  ['row', 'runner', 'ms', 'GFLOP/s', 'of peak', 'vs best', 'target']
    .map((h, i) => (i < 2 ? h.padEnd(i ? 36 : 14) : h.padStart(11)))
    .join(''),
);
for (const r of doc.runs) {
  const row = doc.rows.find((x) => x.id === r.row);
  const target = r.runner === XCLR_RUNNER && row.met != null ? `${row.met ? 'met' : 'missed'} ${row.target}×` : '';
  console.log(
    [
      r.row.padEnd(14),
      `${r.runner}${row.pytorchBest?.runner === r.runner ? ' *' : ''}`.padEnd(36),
      (r.error && !r.medianStepMs ? 'failed' : fmt(r.medianStepMs, 1)).padStart(11),
      fmt(r.gflops, 1).padStart(11),
      (r.ofPeak == null ? '–' : `${(100 * r.ofPeak).toFixed(0)}%`).padStart(11),
      (r.ratioToPytorchBest == null ? '–' : `${r.ratioToPytorchBest.toFixed(2)}×`).padStart(11),
      target.padStart(11),
    ].join(''),
  );
}
console.log(`(* PyTorch's best environment) wrote ${path.relative(root, out)} in ${doc.minutes.toFixed(1)} min`);
console.log('the README table: node bench/train-step-table.mjs --write');
