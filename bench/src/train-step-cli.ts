#!/usr/bin/env node
// Times full training steps (two views, Adam) on a fixed synthetic input: one model, one backend.
// From the repository root, on the sources (no build):
//
//   npm run bench:step -- --model convnet --json
//   node --conditions=@xclr/source --import tsx bench/src/train-step-cli.ts --model convnet --json
//
// Like the xclr CLI, it starts itself again with @xclr/backend's glibc malloc settings
// (XCLR_MALLOC_TUNING=0 opts out), so its numbers compare with training runs.
import { parseArgs } from 'node:util';
import { relaunchWithMallocTuning } from '@xclr/process';

const MODELS = ['mlp', 'convnet', 'resnet18'] as const;
const LOSSES = ['xclr', 'ntxent', 'supcon', 'clip'] as const;

const USAGE = `usage: npm run bench:step -- [options]

time full training steps (two views, Adam) on a fixed synthetic input

options:
  --model <model>    ${MODELS.join(' | ')} (default: mlp)
  --loss <loss>      ${LOSSES.join(' | ')} (default: xclr)
  --batch <n>        batch size per view (default: 256)
  --steps <n>        timed steps (default: 10)
  --warmup <n>       untimed steps first (default: 3)
  --backend <name>   tfjs backend: auto, tfjs-node-gpu, webgpu, tfjs-node, wasm, cpu (default: auto)
  --threads <n>      wasm threads
  --no-native        on wasm, keep matmuls and convolutions on XNNPACK (no onnxruntime)
  --json             print one JSON object
  --profile          also time one step per kernel (tf.profile) and list the kernels that take longest
  --chunk <n>        run the encoder on n images at a time (gradient caching: memory of one chunk)
  --loss-only        time the X-CLR loss alone, forward + backward, on two fixed --batch x --dim
                     embeddings and their similarity target (bench/torch_train_step.py --loss-only)
  --dim <n>          embedding size for --loss-only (default: 128)
  -h, --help         show this help`;

class UsageError extends Error {}

function integer(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value) ? Number.parseInt(value, 10) : Number.NaN;
  if (!(n >= min)) throw new UsageError(`--${name} takes an integer ≥ ${min}, got '${value}'`);
  return n;
}

function oneOf<T extends string>(name: string, value: string, choices: readonly T[]): T {
  if (!choices.includes(value as T)) throw new UsageError(`--${name} '${value}' is not one of ${choices.join(', ')}`);
  return value as T;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      model: { type: 'string', default: 'mlp' },
      loss: { type: 'string', default: 'xclr' },
      batch: { type: 'string', default: '256' },
      steps: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '3' },
      backend: { type: 'string', default: 'auto' },
      threads: { type: 'string' },
      'no-native': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      chunk: { type: 'string' },
      'loss-only': { type: 'boolean', default: false },
      dim: { type: 'string', default: '128' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // TensorFlow.js loads here, in the process that runs the steps (not in a relaunching parent).
  const { BACKEND_NAMES } = await import('@xclr/backend');
  const { benchLoss, benchTrainStep, formatBenchResult } = await import('./train-step.js');
  if (values['loss-only']) {
    if (values.loss !== 'xclr') throw new UsageError('--loss-only times the X-CLR loss');
    const r = await benchLoss({
      n: integer('batch', values.batch, 2) as number,
      d: integer('dim', values.dim, 1) as number,
      steps: integer('steps', values.steps, 1) as number,
      warmup: integer('warmup', values.warmup, 0) as number,
      backend: oneOf('backend', values.backend, BACKEND_NAMES),
      threads: integer('threads', values.threads, 1),
      native: !values['no-native'],
      profile: values.profile,
    });
    process.stdout.write(
      `${values.json ? JSON.stringify(r) : `xclr loss N=${r.n} D=${r.d} forward + backward on ${r.backend} (${r.threads} threads): ${r.medianStepMs.toFixed(1)} ms, loss ${r.lossValue}`}\n`,
    );
    return 0;
  }
  const options = {
    model: oneOf('model', values.model, MODELS),
    loss: oneOf('loss', values.loss, LOSSES),
    backend: oneOf('backend', values.backend, BACKEND_NAMES),
    batch: integer('batch', values.batch, 1) as number,
    steps: integer('steps', values.steps, 1) as number,
    warmup: integer('warmup', values.warmup, 0) as number,
    threads: integer('threads', values.threads, 1),
    chunk: integer('chunk', values.chunk, 1),
    native: !values['no-native'],
    profile: values.profile,
  };
  const r = await benchTrainStep(options);
  const lines = values.json ? [JSON.stringify(r)] : formatBenchResult(r);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

// Training runs faster with glibc's malloc thresholds fixed (see @xclr/backend's README), as the
// xclr CLI does: the bench is imported only by the process that runs it.
(relaunchWithMallocTuning() ?? main(process.argv.slice(2))).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`bench train-step: ${(err as Error).message}${usage ? ' (--help lists the options)' : ''}\n`);
    process.exitCode = usage ? 2 : 1;
  },
);
