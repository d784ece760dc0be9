// Fault injection on the real `xclr train` process, as a user or a scheduler would: signals to the
// pid they see (the relaunching parent), kill -9, a full disk, two resumes at once, a torn log,
// a run name that would escape the runs folder.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runDirIn, TINY, tmpDir, xclr } from './helpers.js';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const LONG = [...TINY, '--set', 'train.maxSteps=100000', '--set', 'train.checkpointEvery=1000'];

/** Starts `xclr ARGS` as its own process (it relaunches itself with the malloc settings). */
function start(args: string[]) {
  const proc = spawn(process.execPath, ['--conditions=@xclr/source', '--import', 'tsx', cli, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr.on('data', (chunk) => {
    err += chunk;
  });
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, exit, stderr: () => err };
}

const stepsLogged = (dir: string) =>
  fs.existsSync(path.join(dir, 'metrics.jsonl'))
    ? fs
        .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('"kind":"step"'))
        .map((l) => JSON.parse(l).step as number)
    : [];

/** Waits until the run in `runs` has logged `n` steps. */
async function untilSteps(runs: string, n: number): Promise<string> {
  for (;;) {
    const dirs = fs.existsSync(runs) ? fs.readdirSync(runs) : [];
    if (dirs.length && stepsLogged(path.join(runs, dirs[0])).length >= n) return path.join(runs, dirs[0]);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const savedStep = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'checkpoints/last/manifest.json'), 'utf8')).step;

/** Pids of processes whose command line mentions `marker`. */
function processesWith(marker: string): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(marker) && !l.includes(' ps '))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

describe('signals to the pid a user or scheduler sees', { timeout: 300_000 }, () => {
  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    it(`${signal} saves a checkpoint of the last completed step and exits ${code}`, async () => {
      const runs = tmpDir('xclr-sig-');
      const run = start(['train', ...LONG, '--runs-dir', runs]);
      const dir = await untilSteps(runs, 3);
      run.proc.kill(signal);
      expect(await run.exit, run.stderr()).toBe(code);
      expect(savedStep(dir)).toBeGreaterThanOrEqual(Math.max(...stepsLogged(dir)));
      expect(run.stderr()).toMatch(new RegExp(`${signal}: stopped at step \\d+; checkpoint saved`));
    });
  }

  it('kill -9 leaves no xclr process behind, and the run resumes', async () => {
    const runs = tmpDir('xclr-kill9-');
    const run = start(['train', ...LONG, '--runs-dir', runs]);
    const dir = await untilSteps(runs, 2);
    run.proc.kill('SIGKILL');
    await run.exit;
    for (let i = 0; i < 100 && processesWith(runs).length; i++) await new Promise((r) => setTimeout(r, 100));
    expect(processesWith(runs)).toEqual([]);
    const resumed = await xclr(['train', '--resume', dir, '--set', 'train.maxSteps=3']);
    expect(resumed.code, resumed.err).toBe(0);
  });
});

describe('the run directory under faults', { timeout: 300_000 }, () => {
  it('two resumes of one run at once: the second is refused, naming the first', async () => {
    const runs = tmpDir('xclr-lock-');
    expect((await xclr(['train', ...TINY, '--set', 'train.maxSteps=2', '--runs-dir', runs])).code).toBe(0);
    const dir = runDirIn(runs);
    const first = start(['train', '--resume', dir, '--set', 'train.maxSteps=100000']);
    await untilSteps(runs, 4);
    const second = await xclr(['train', '--resume', dir, '--set', 'train.maxSteps=100000']);
    expect(second.code).toBe(1);
    expect(second.err).toMatch(/checkpoints: in use by another run \(pid \d+ on .*\); stop it first/);
    first.proc.kill('SIGTERM');
    expect(await first.exit).toBe(143);
  });

  it('a torn last line of metrics.jsonl (a kill during an append) does not stop a resume', async () => {
    const runs = tmpDir('xclr-torn-');
    expect((await xclr(['train', ...TINY, '--set', 'train.maxSteps=2', '--runs-dir', runs])).code).toBe(0);
    const dir = runDirIn(runs);
    fs.appendFileSync(path.join(dir, 'metrics.jsonl'), '{"kind":"step","step":3,"lo');
    const resumed = await xclr(['train', '--resume', dir, '--set', 'train.maxSteps=4']);
    expect(resumed.code, resumed.err).toBe(0);
    expect(stepsLogged(dir)).toEqual([1, 2, 3, 4]);
  });

  it('a run name that would escape --runs-dir is refused; a failed run leaves no empty run directory', async () => {
    const runs = tmpDir('xclr-escape-');
    const escaped = await xclr(['train', ...TINY, '--set', 'name=a/../../x', '--runs-dir', runs]);
    expect(escaped.code).toBe(2);
    expect(escaped.err).toContain('name: expected letters, digits, ".", "_" or "-" (it names the run directory)');
    const failed = await xclr(['train', ...TINY, '--set', 'data.dataDir="/nonexistent-data"', '--runs-dir', runs]);
    expect(failed.code).toBe(1);
    expect(fs.readdirSync(runs)).toEqual([]);
    const diverging = await xclr(['config', 'print', '--set', 'loss.temperature=1e-9']);
    expect(diverging.err).toMatch(/loss\.temperature: .*0\.001/);
  });

  it.runIf(process.getuid?.() === 0)(
    'a full disk fails the save with the checkpoint named, keeps the last one, and the run resumes once there is space',
    async () => {
      const mount = tmpDir('xclr-full-');
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mount]);
      } catch {
        return; // no tmpfs here (not permitted): nothing to test
      }
      try {
        const runs = path.join(mount, 'runs');
        const run = start([
          'train',
          ...TINY,
          '--set',
          'train.maxSteps=100000',
          '--set',
          'train.checkpointEvery=2',
          '--runs-dir',
          runs,
        ]);
        const dir = await untilSteps(runs, 3);
        const filler = path.join(mount, 'filler');
        try {
          execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' });
        } catch {} // dd stops at "no space left on device": the disk is full now
        expect(await run.exit).toBe(1);
        expect(run.stderr()).toMatch(
          /(checkpoints\/last: could not save the checkpoint \(ENOSPC.*\); the previous one is intact|metrics\.jsonl: could not append a record \(ENOSPC)/,
        );
        const before = savedStep(dir);
        fs.rmSync(filler);
        const resumed = await xclr(['train', '--resume', dir, '--set', `train.maxSteps=${before + 2}`]);
        expect(resumed.code, resumed.err).toBe(0);
        expect(resumed.err).toContain(`resumed at step ${before}`);
      } finally {
        execFileSync('umount', [mount]);
      }
    },
  );
});
