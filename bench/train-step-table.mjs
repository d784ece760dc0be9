#!/usr/bin/env node
// The training-step table of packages/backend/README.md ("## Measured here"), generated from
// docs/results/train-step.json (written by `npm run bench:train-step`), between the markers
// <!-- train-step:begin --> and <!-- train-step:end -->.
//
//   node bench/train-step-table.mjs            print the table
//   node bench/train-step-table.mjs --write    rewrite it in the README
//   node bench/train-step-table.mjs --check    exit 1 when the README differs from the JSON (npm run lint)
//
// Options: --json FILE, --readme FILE. Reads the JSON the bench writes (schema 2).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PYTORCH_ENVIRONMENTS, XCLR_RUNNER } from './train-step-cases.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const jsonPath = path.resolve(root, arg('json', path.join('docs', 'results', 'train-step.json')));
const readmePath = path.resolve(root, arg('readme', path.join('packages', 'backend', 'README.md')));
const BEGIN = '<!-- train-step:begin -->';
const END = '<!-- train-step:end -->';

/** 3 significant digits, thousands grouped: 8,498 · 854 · 29.0 · 8.93 · 0.137. */
function num(v) {
  if (v == null || !Number.isFinite(v)) return '–';
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
  return Number(v.toPrecision(3)).toLocaleString('en-US', { minimumSignificantDigits: 3, maximumSignificantDigits: 3 });
}
const pct = (v) => `${v >= 0 ? '+' : '−'}${Math.round(Math.abs(100 * v))}%`;

/** A run's median in the row's unit, with the range of its rounds (slowest–fastest). */
function cell(run, row, unit = '') {
  if (!run) return 'not measured';
  if (run.medianStepMs == null) return `failed${run.error ? ` (${run.error.slice(0, 80)})` : ''}`;
  const value = (ms) => (row.kind === 'loss' ? ms : (1000 * row.batch) / ms);
  const each = (run.eachRoundMs ?? []).filter((x) => x != null).map(value);
  const range = each.length > 1 ? ` (${num(Math.min(...each))}–${num(Math.max(...each))})` : '';
  return `${num(value(run.medianStepMs))}${unit}${range}`;
}

function render(doc) {
  const lines = [];
  const date = doc.date.slice(0, 10);
  const cpu = `${doc.machine.cpus} cores${doc.machine.model ? ` (${doc.machine.model})` : ''}`;
  lines.push(`Measured ${date} on ${cpu}${doc.quick ? ', a --quick run (one round, few steps)' : ''}: \`${doc.command}\`.`);
  if (doc.pytorch) lines.push(`PyTorch: \`${doc.pytorch.version}\` on ${doc.pytorch.blas}.`);
  lines.push('');
  lines.push(
    `Median samples/s of a training step (the loss rows: ms per forward + backward), range of rounds in brackets, PyTorch's best in bold; the target is xclr wasm's least ratio to PyTorch's best:`,
  );
  lines.push('');
  const envHeads = ['PyTorch as installed', 'PyTorch, `OPENBLAS_NUM_THREADS=1`', "PyTorch, xclr's `GLIBC_TUNABLES`"];
  lines.push(`| row | batch | ${envHeads.join(' | ')} | xclr wasm | vs PyTorch's best | target |`);
  lines.push(`|---|---|${envHeads.map(() => '---|').join('')}---|---|---|`);
  for (const row of doc.rows) {
    const runs = doc.runs.filter((r) => r.row === row.id);
    const label = `${row.label}, ${row.kind === 'loss' ? 'ms' : 'samples/s'}`;
    const batch = row.kind === 'loss' ? `N = ${row.batch}` : `${row.batch}${row.chunk ? ` (xclr: ${row.chunk} at a time)` : ''}`;
    const envCells = PYTORCH_ENVIRONMENTS.map((e) => {
      const run = runs.find((r) => r.runner === e.runner);
      const text = cell(run, row);
      return row.pytorchBest?.runner === e.runner ? `**${text}**` : text;
    });
    const x = runs.find((r) => r.runner === XCLR_RUNNER);
    const ratio = row.ratioToPytorchBest == null ? '–' : `${row.ratioToPytorchBest.toFixed(2)}×`;
    const verdict = row.met == null ? '' : `: ${row.met ? 'met' : 'missed'}, ${pct(row.marginToTarget)}`;
    const target = row.target == null ? '–' : `≥ ${row.target}×${verdict}`;
    lines.push(`| ${label} | ${batch} | ${envCells.join(' | ')} | ${cell(x, row)} | ${ratio} | ${target} |`);
  }

  if (doc.sgemmPeak) {
    const { size, reps, runs } = doc.sgemmPeak;
    const threads = [...new Set(runs.map((r) => r.threads))].sort((a, b) => a - b);
    const engines = [...new Set(runs.filter((r) => r.engine).map((r) => r.engine))];
    lines.push('');
    lines.push(`This machine's sgemm peak, GFLOP/s, the best of ${reps} products of two ${size} × ${size} float32 matrices:`);
    lines.push('');
    lines.push(`| engine | ${threads.map((t) => `${t} thread${t === 1 ? '' : 's'}`).join(' | ')} |`);
    lines.push(`|---|${threads.map(() => '---|').join('')}`);
    for (const e of engines) {
      const g = threads.map((t) => num(runs.find((r) => r.engine === e && r.threads === t)?.gflops));
      lines.push(`| ${e} | ${g.join(' | ')} |`);
    }
    lines.push('');
    lines.push(
      "Achieved GFLOP/s, with the share of the best peak on as many threads or fewer (FLOPs as in the JSON's `conventions.flops`: the multiply-adds of every convolution and dense layer × 2, × 3 for forward + backward, two views):",
    );
    lines.push('');
    lines.push("| row | batch | GFLOP per step | xclr wasm GFLOP/s (of peak) | PyTorch's best GFLOP/s (of peak) |");
    lines.push('|---|---|---|---|---|');
    for (const row of doc.rows) {
      const runs = doc.runs.filter((r) => r.row === row.id);
      const g = (run) =>
        run?.gflops == null ? '–' : `${num(run.gflops)}${run.ofPeak == null ? '' : ` (${Math.round(100 * run.ofPeak)}%)`}`;
      const x = runs.find((r) => r.runner === XCLR_RUNNER);
      const best = runs.find((r) => r.runner === row.pytorchBest?.runner);
      const batch = row.kind === 'loss' ? `N = ${row.batch}` : String(row.batch);
      lines.push(`| ${row.label} | ${batch} | ${num(row.flopPerStep / 1e9)} | ${g(x)} | ${g(best)} |`);
    }
  }

  const profiled = doc.rows.filter((r) => r.profile && r.met === false);
  if (profiled.length > 0) {
    lines.push('');
    lines.push(
      "Where xclr's time goes in the rows that miss their target: one more step per kernel (`tf.profile`, kernel time as the backend measures it; the rest of a step is TensorFlow.js's own bookkeeping), the largest kernels:",
    );
    lines.push('');
    for (const row of profiled) {
      const { kernelMs, stepMs, kernels } = row.profile;
      const top = kernels.map((k) => `${k.kernel} ${num(k.ms)} ms (${Math.round(100 * k.share)} %)`).join(', ');
      lines.push(
        `- ${row.label}, batch ${row.batch}: missed by ${Math.round(-100 * row.marginToTarget)} %; kernels ${num(kernelMs)} ms of a ${num(stepMs)} ms step: ${top}`,
      );
    }
  }

  const extras = doc.runs.filter((r) => r.extra);
  if (extras.length > 0) {
    lines.push('');
    lines.push("Other runners (what each part of xclr's setup, and PyTorch's views in one pass, is worth), in the same rounds:");
    lines.push('');
    lines.push("| row | batch | runner | median | vs PyTorch's best |");
    lines.push('|---|---|---|---|---|');
    for (const r of extras) {
      const row = doc.rows.find((x) => x.id === r.row);
      const unit = row.kind === 'loss' ? ' ms' : ' samples/s';
      const ratio = r.ratioToPytorchBest == null ? '–' : `${r.ratioToPytorchBest.toFixed(2)}×`;
      lines.push(`| ${row.label} | ${row.batch} | ${r.runner} | ${cell(r, row, unit)} | ${ratio} |`);
    }
  }
  return lines.join('\n');
}

const raw = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
if (raw.schema !== 2) {
  process.stderr.write(`${path.relative(root, jsonPath)}: schema ${raw.schema ?? 1}, expected 2: run npm run bench:train-step\n`);
  process.exit(1);
}
const doc = raw;
const generated = `${BEGIN}\n<!-- generated by \`node bench/train-step-table.mjs --write\` from docs/results/train-step.json: edit neither by hand -->\n\n${render(doc)}\n\n${END}`;

if (!argv.includes('--write') && !argv.includes('--check')) {
  process.stdout.write(`${generated}\n`);
  process.exit(0);
}
const readme = fs.readFileSync(readmePath, 'utf8');
const start = readme.indexOf(BEGIN);
const end = readme.indexOf(END);
if (start < 0 || end < start) {
  process.stderr.write(`${path.relative(root, readmePath)}: no ${BEGIN} … ${END} section\n`);
  process.exit(1);
}
const current = readme.slice(start, end + END.length);
if (argv.includes('--check')) {
  if (current !== generated) {
    process.stderr.write(
      `${path.relative(root, readmePath)}: the training-step table differs from ${path.relative(root, jsonPath)}; run node bench/train-step-table.mjs --write\n`,
    );
    process.exit(1);
  }
  process.exit(0);
}
fs.writeFileSync(readmePath, readme.slice(0, start) + generated + readme.slice(end + END.length));
process.stdout.write(`rewrote the training-step table in ${path.relative(root, readmePath)}\n`);
