// Shared runner for the experiment scripts: each study is a list of variants (a preset plus
// `--set` overrides) × seeds, run through the real `xclr train` CLI. Results are appended to a JSON
// file under docs/results/ after every run, so an interrupted study resumes where it stopped.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** `--name value` from argv, or the fallback. */
export function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

/**
 * Every `--runs-dir D` given (studies' workers ran in separate checkouts), else this checkout's
 * runs/experiments: where the analysis scripts look for run folders.
 */
export function runsDirs() {
  const dirs = process.argv.flatMap((a, i) => (process.argv[i - 1] === '--runs-dir' ? [path.resolve(a)] : []));
  return dirs.length ? dirs : [path.join(root, 'runs', 'experiments')];
}

function writeJsonAtomic(file, value) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

/**
 * Runs every (variant, seed) pair not yet in `out`; returns all results.
 * variant: { name, preset, set: ['a.b=c', ...] }.
 */
export function runStudy({ out, command, variants, seeds }) {
  const runsDir = path.join(root, 'runs', 'experiments');
  const file = path.join(root, out);
  const runs = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')).runs : [];
  // XCLR_STUDY_REVERSE=1 runs the variants last to first: a second machine (or core) working on
  // the same seeds meets the first in the middle; their JSON files merge by (variant, seed).
  const order = process.env.XCLR_STUDY_REVERSE === '1' ? [...variants].reverse() : variants;
  // XCLR_STUDY_SHARED=DIR: workers in separate checkouts split one study without running a pair
  // twice: each claims a (variant, seed) by creating DIR/<study>/<variant>@<seed> first; a pair
  // another worker claimed is skipped here (its JSON has the result; merge by (variant, seed)).
  const shared = process.env.XCLR_STUDY_SHARED;
  const claim = (name, seed) => {
    if (!shared) return true;
    const dir = path.join(shared, path.basename(out, '.json'));
    fs.mkdirSync(dir, { recursive: true });
    try {
      fs.closeSync(fs.openSync(path.join(dir, `${name}@${seed}`), 'wx'));
      return true;
    } catch (err) {
      if (err.code === 'EEXIST') return false;
      throw err;
    }
  };
  for (const seed of seeds) {
    for (const v of order) {
      if (runs.some((r) => r.variant === v.name && r.seed === seed)) continue;
      if (!claim(v.name, seed)) {
        console.log(`# ${v.name} seed ${seed}: claimed by another worker`);
        continue;
      }
      const before = new Set(fs.existsSync(runsDir) ? fs.readdirSync(runsDir) : []);
      // XCLR_STUDY_SET: settings that change how a run computes, not what (e.g. backend.threads=1
      // to run two studies side by side on two cores); `;`-separated.
      const machine = (process.env.XCLR_STUDY_SET ?? '').split(';').filter(Boolean);
      const sets = [`seed=${seed}`, `name=${v.name}`, ...(v.set ?? []), ...machine].flatMap((s) => ['--set', s]);
      console.log(`# ${v.name} seed ${seed}: xclr train --preset ${v.preset} ${sets.join(' ')}`);
      let dir;
      let summary;
      try {
        execFileSync(
          process.execPath,
          [path.join(root, 'apps/train/dist/cli.js'), 'train', '--preset', v.preset, ...sets, '--runs-dir', runsDir],
          {
            stdio: ['ignore', 'inherit', 'inherit'],
            env: { ...process.env, CI: '1' },
          },
        );
        dir = fs.readdirSync(runsDir).find((d) => !before.has(d) && d.endsWith(`-${v.name}`));
        summary = JSON.parse(fs.readFileSync(path.join(runsDir, dir, 'summary.json'), 'utf8'));
      } catch (err) {
        // One failed run must not stop the study: the others go on, and a rerun retries it.
        console.error(`# FAILED ${v.name} seed ${seed}${dir ? ` (${dir})` : ''}: ${err.message.split('\n')[0]}`);
        process.exitCode = 1;
        continue;
      }
      runs.push({ variant: v.name, preset: v.preset, set: v.set ?? [], seed, run: dir, summary });
      writeJsonAtomic(file, { command, runs });
    }
  }
  return runs;
}

export function meanStd(xs) {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean: m, std: sd, n: xs.length };
}

export const pct = ({ mean, std, n }) =>
  n > 1 ? `${(100 * mean).toFixed(2)} ± ${(100 * std).toFixed(2)}` : (100 * mean).toFixed(2);

/** Prints a markdown table: one row per variant, mean ± std over seeds of each metric. */
export function printTable(runs, variants, metrics = ['knnTop1', 'linearTop1', 'baselineKnnTop1', 'baselineLinearTop1']) {
  const rows = [['variant', 'seeds', ...metrics]];
  for (const v of variants) {
    const rs = runs.filter((r) => r.variant === v.name).map((r) => r.summary);
    if (rs.length) rows.push([v.name, String(rs.length), ...metrics.map((m) => pct(meanStd(rs.map((s) => s[m]))))]);
  }
  for (const [i, r] of rows.entries()) {
    console.log(`| ${r.join(' | ')} |`);
    if (i === 0) console.log(`|${r.map(() => '---').join('|')}|`);
  }
}
