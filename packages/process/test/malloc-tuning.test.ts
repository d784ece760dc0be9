import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  envWithMallocTuning,
  MALLOC_TUNING_OPT_OUT,
  mallocTuning,
  missingV8Flags,
  TRAINING_MALLOC_TUNABLES,
  TRAINING_V8_FLAGS,
  V8_FLAGS_OPT_OUT,
} from '../src/index.js';
import { mallocTuningNote } from '../src/malloc-tuning.js';

const glibc = mallocTuning().libc === 'glibc';
const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
const child = fileURLToPath(new URL('./fixtures/relaunch-child.ts', import.meta.url));

/** Runs the relaunching fixture with `env` (on top of PATH only); its exit code and report. */
function runChild(env: NodeJS.ProcessEnv, code: number) {
  type Report = { tunables: string | null; execArgv: string[]; relaunched: boolean; args: string[] };
  return new Promise<{ code: number | null; report: Report }>((resolve, reject) => {
    execFile(
      tsx,
      [child, String(code), 'extra arg'],
      { env: { PATH: process.env.PATH, ...env }, timeout: 240_000 },
      (err, stdout) => {
        if (err && typeof err.code !== 'number') return reject(err);
        resolve({ code: err ? (err.code as number) : 0, report: JSON.parse(stdout.trim().split('\n').pop() as string) });
      },
    );
  });
}

describe.runIf(glibc)('glibc malloc settings for training', () => {
  it('adds both thresholds to the environment, after any GLIBC_TUNABLES already there', () => {
    expect(envWithMallocTuning({})?.GLIBC_TUNABLES).toBe(TRAINING_MALLOC_TUNABLES);
    expect(envWithMallocTuning({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' })?.GLIBC_TUNABLES).toBe(
      `glibc.malloc.arena_max=2:${TRAINING_MALLOC_TUNABLES}`,
    );
    // Already set (by us or by the user), or opted out: nothing to change.
    expect(envWithMallocTuning({ GLIBC_TUNABLES: TRAINING_MALLOC_TUNABLES })).toBeNull();
    expect(envWithMallocTuning({ [MALLOC_TUNING_OPT_OUT]: '0' })).toBeNull();
    expect(mallocTuning({ GLIBC_TUNABLES: TRAINING_MALLOC_TUNABLES }).tuned).toBe(true);
    expect(mallocTuning({ GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=1' }).tuned).toBe(false);
  });

  it('notes the missing settings, with the variable to set', () => {
    expect(mallocTuningNote({})).toContain(`GLIBC_TUNABLES=${TRAINING_MALLOC_TUNABLES}`);
    expect(mallocTuningNote({ GLIBC_TUNABLES: TRAINING_MALLOC_TUNABLES })).toBeNull();
    expect(mallocTuningNote({ [MALLOC_TUNING_OPT_OUT]: '0' })).toBeNull();
  });

  it('relaunches a program with them and the V8 flags, passing arguments and the exit code through', async () => {
    const { code, report } = await runChild({}, 7);
    expect(code).toBe(7);
    expect(report.tunables).toBe(TRAINING_MALLOC_TUNABLES);
    expect(report.execArgv).toEqual(expect.arrayContaining([...TRAINING_V8_FLAGS]));
    expect(report.relaunched).toBe(true);
    expect(report.args).toEqual(['7', 'extra arg']);
  });

  it('runs in-process where both are set or the user opted out of each', async () => {
    const both = { GLIBC_TUNABLES: TRAINING_MALLOC_TUNABLES, NODE_OPTIONS: TRAINING_V8_FLAGS.join(' ') };
    const set = await runChild(both, 3);
    expect(set.code).toBe(3);
    expect(set.report).toMatchObject({ tunables: TRAINING_MALLOC_TUNABLES, relaunched: false });
    const optedOut = await runChild({ [MALLOC_TUNING_OPT_OUT]: '0', [V8_FLAGS_OPT_OUT]: '0' }, 0);
    expect(optedOut.report).toMatchObject({ tunables: null, relaunched: false });
    // the malloc settings in place, the V8 flags missing: a relaunch for those alone
    const flagsOnly = await runChild({ GLIBC_TUNABLES: TRAINING_MALLOC_TUNABLES }, 0);
    expect(flagsOnly.report.relaunched).toBe(true);
    expect(flagsOnly.report.execArgv).toEqual(expect.arrayContaining([...TRAINING_V8_FLAGS]));
  });
});

const signalsChild = fileURLToPath(new URL('./fixtures/relaunch-signals.ts', import.meta.url));

/** Starts the signal fixture under `node --import tsx` (no wrapper of tsx's own) and waits for the relaunched child's pid. */
function startRelaunched() {
  const wrapper = spawn(process.execPath, ['--import', 'tsx', signalsChild], { env: { PATH: process.env.PATH } });
  let out = '';
  const exited = new Promise<number | null>((resolve) => wrapper.on('exit', (code) => resolve(code)));
  const childPid = new Promise<number>((resolve, reject) => {
    wrapper.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/child (\d+)/);
      if (m) resolve(Number(m[1]));
    });
    wrapper.on('exit', () => reject(new Error(`exited before the child started: ${out}`)));
  });
  return { wrapper, childPid, exited, output: () => out };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.runIf(glibc)('the relaunching parent stands for its child', () => {
  it('passes SIGTERM on: the child exits 143 and so does the parent', async () => {
    const run = startRelaunched();
    await run.childPid;
    run.wrapper.kill('SIGTERM');
    expect(await run.exited).toBe(143);
    expect(run.output()).toContain('SIGTERM');
  });

  it('passes SIGINT on exactly once (a terminal Ctrl-C does not reach the child twice)', async () => {
    const run = startRelaunched();
    await run.childPid;
    run.wrapper.kill('SIGINT');
    expect(await run.exited).toBe(130);
    expect(run.output().match(/SIGINT \d/g)).toEqual(['SIGINT 1']);
  });

  it('kill -9 of the parent leaves no child behind', async () => {
    const run = startRelaunched();
    const pid = await run.childPid;
    run.wrapper.kill('SIGKILL');
    await run.exited;
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive(pid)).toBe(false);
  });
});

describe('V8 flags for training', () => {
  it('are missing unless given on the command line or in NODE_OPTIONS (any value), or opted out', () => {
    const flag = TRAINING_V8_FLAGS[0];
    expect(missingV8Flags([], {})).toEqual(process.platform === 'win32' ? [] : [...TRAINING_V8_FLAGS]);
    expect(missingV8Flags([flag], {})).toEqual([]);
    expect(missingV8Flags(['--max-semi-space-size=8'], {})).toEqual([]);
    expect(missingV8Flags([], { NODE_OPTIONS: `--conditions=x ${flag}` })).toEqual([]);
    expect(missingV8Flags([], { [V8_FLAGS_OPT_OUT]: '0' })).toEqual([]);
  });
});

describe.runIf(!glibc)('without glibc', () => {
  it('changes nothing', () => {
    expect(envWithMallocTuning({})).toBeNull();
    expect(mallocTuningNote({})).toBeNull();
  });
});
