#!/usr/bin/env node
// Training-step throughput of xclr on each backend present against PyTorch on the same CPU:
// the same models, X-CLR loss, two views of batch 256 and Adam. The runs of one model are
// interleaved over several rounds and the medians compared as ratios, so machine noise hits all
// alike. Prints a table and writes bench/results/train-step.json.
//
//   npm run bench:train-step -- [--rounds 3] [--models mlp,convnet,resnet18] [--batch 256] [--out FILE]
//
// That runs this script on the sources (node --conditions=@xclr/source --import tsx), no build
// needed; each xclr runner is bench/src/train-step-cli.ts (`npm run bench:step`), also on the
// sources, which starts itself again with the training malloc settings.
//
// ResNet-18's activations for two views of 256 images do not fit the wasm backend's 4 GB heap:
// xclr runs its encoder 32 images at a time there (chunkedEmbeddingStep, one more forward pass).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TRAINING_MALLOC_TUNABLES } from '@xclr/backend';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const rounds = Number(arg('rounds', '3'));
const models = arg('models', 'mlp,convnet,resnet18').split(',');
const batch = arg('batch', '256');
const out = arg('out', path.join(root, 'bench', 'results', 'train-step.json'));
const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
// The pure-JS cpu backend takes minutes per ConvNet or ResNet step: it is shown for the MLP only.
const CPU_MODELS = new Set(['mlp']);

function run(cmd, args, env = {}) {
  const stdout = execFileSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, ...env } });
  return JSON.parse(stdout.trim().split('\n').pop());
}

// The xclr runner: the bench's command-line entry, run on the sources through tsx.
const XCLR_BENCH = ['--conditions=@xclr/source', '--import', 'tsx', path.join('bench', 'src', 'train-step-cli.ts')];

const chunk = (model) => (model === 'resnet18' && Number(batch) > 32 ? ['--chunk', '32'] : []);
const runners = (model) => {
  // Steady state: a process's heaps (V8's, glibc's, onnxruntime's) grow over its first ~15 MLP
  // steps, with page faults that made those steps up to 2× slower. A ResNet-18 step on 2 × 256
  // CIFAR-size images takes tens of seconds on 2 cores: fewer steps.
  const steps = { mlp: '20', convnet: '10', resnet18: '2' }[model];
  const warmup = { mlp: '15', convnet: '8', resnet18: '1' }[model];
  const common = ['--model', model, '--loss', 'xclr', '--batch', batch, '--steps', steps, '--warmup', warmup, '--json'];
  const torch = (env, extra = []) => () => run(python, [path.join('bench', 'torch_train_step.py'), ...common, ...extra], env);
  const xclr = (extra, env) => () =>
    run(process.execPath, [...XCLR_BENCH, ...common, ...chunk(model), '--backend', 'wasm', ...extra], env);
  const small = model !== 'resnet18';
  const list = [
    ['pytorch', torch({})],
    // Debian's PyTorch runs its OpenMP threads and OpenBLAS's own pool side by side on the same
    // cores; with one BLAS thread its MLP step was up to 2× faster here. Both are shown.
    ...(small ? [['pytorch, OPENBLAS_NUM_THREADS=1', torch({ OPENBLAS_NUM_THREADS: '1' })]] : []),
    // The xclr bench (like the CLI) starts itself with these glibc malloc settings (page faults, see the README);
    // PyTorch with the same settings shows what they are worth to it.
    ...(small ? [['pytorch, xclr\'s GLIBC_TUNABLES', torch({ GLIBC_TUNABLES: TRAINING_MALLOC_TUNABLES })]] : []),
    // xclr encodes both views as one batch of 512 where the encoder has no batch norm (the MLP and
    // ConvNet); the same in PyTorch, against its reference of two passes.
    ...(small ? [['pytorch, views in one pass', torch({}, ['--concat-views'])]] : []),
    ['xclr wasm', xclr([], {})],
    // With onnxruntime-node installed, wasm's large matmuls and convolutions run on its native
    // kernels; the XNNPACK-only runner shows what that adds, the next one what the malloc settings add.
    ...(small ? [['xclr wasm, XNNPACK only', xclr(['--no-native'], {})]] : []),
    ...(small ? [['xclr wasm, glibc malloc defaults', xclr([], { XCLR_MALLOC_TUNING: '0' })]] : []),
  ];
  if (CPU_MODELS.has(model)) {
    list.push(['xclr cpu', () => run(process.execPath, [...XCLR_BENCH, ...common.map((a, i) => (common[i - 1] === '--steps' ? '3' : common[i - 1] === '--warmup' ? '1' : a)), '--backend', 'cpu'])]);
  }
  return list;
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = [];
for (const model of models) {
  const samples = {};
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of runners(model)) {
      const res = fn();
      (samples[name] ??= []).push(res);
      process.stderr.write(`${model} round ${r + 1}/${rounds} ${name}: ${res.samplesPerSecond.toFixed(0)} samples/s\n`);
    }
  }
  const torch = median(samples.pytorch.map((s) => s.samplesPerSecond));
  for (const [name, list] of Object.entries(samples)) {
    const sps = median(list.map((s) => s.samplesPerSecond));
    const each = list.map((s) => s.samplesPerSecond);
    results.push({
      model,
      runner: name,
      batch: Number(batch),
      chunk: name.startsWith('pytorch') ? null : Number(chunk(model)[1] ?? batch),
      backend: list[0].backend,
      threads: list[0].threads,
      ...(name.startsWith('pytorch') ? {} : { native: list[0].native ?? null }),
      samplesPerSecond: sps,
      pageFaultsPerStep: median(list.map((s) => s.pageFaultsPerStep ?? Number.NaN)),
      ratioToPytorch: sps / torch,
      rounds: list.length,
      range: [Math.min(...each), Math.max(...each)],
      eachRound: each,
    });
  }
}

console.log(`X-CLR training step, two views of batch ${batch}, Adam: samples/s (ratio to PyTorch CPU in the same run)`);
console.log(['model', 'runner', 'threads', 'samples/s', 'range', 'faults/step', 'vs PyTorch'].map((h, i) => (i < 2 ? h.padEnd(i ? 34 : 12) : h.padStart(14))).join(''));
for (const r of results) {
  const range = `${r.range[0].toFixed(0)}–${r.range[1].toFixed(0)}`;
  console.log([r.model.padEnd(12), r.runner.padEnd(34), String(r.threads).padStart(14), r.samplesPerSecond.toFixed(0).padStart(14), range.padStart(14), r.pageFaultsPerStep.toFixed(0).padStart(14), `${r.ratioToPytorch.toFixed(2)}×`.padStart(14)].join(''));
}
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), machine: { cpus: (await import('node:os')).cpus().length }, results }, null, 2)}\n`);
console.log(`wrote ${path.relative(root, out)}`);
