import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { envWithMallocTuning, MALLOC_TUNING_OPT_OUT, mallocTuning, TRAINING_MALLOC_TUNABLES } from '../src/index.js';
import { mallocTuningNote } from '../src/malloc-tuning.js';

const glibc = mallocTuning().libc === 'glibc';
const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
const child = fileURLToPath(new URL('./fixtures/relaunch-child.ts', import.meta.url));

/** Runs the relaunching fixture with `env` (on top of PATH only); its exit code and report. */
function runChild(env: NodeJS.ProcessEnv, code: number) {
  return new Promise<{ code: number | null; report: { tunables: string | null; args: string[] } }>((resolve, reject) => {
    execFile(
      tsx,
      [child, String(code), 'extra arg'],
      { env: { PATH: process.env.PATH, ...env }, timeout: 60_000 },
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

  it('relaunches a program with them, passing arguments and the exit code through', async () => {
    const { code, report } = await runChild({}, 7);
    expect(code).toBe(7);
    expect(report.tunables).toBe(TRAINING_MALLOC_TUNABLES);
    expect(report.args).toEqual(['7', 'extra arg']);
  });

  it('runs in-process where they are set or the user opted out', async () => {
    const set = await runChild({ GLIBC_TUNABLES: TRAINING_MALLOC_TUNABLES }, 3);
    expect(set.code).toBe(3);
    expect(set.report.tunables).toBe(TRAINING_MALLOC_TUNABLES);
    const optedOut = await runChild({ [MALLOC_TUNING_OPT_OUT]: '0' }, 0);
    expect(optedOut.report.tunables).toBeNull();
  });
});

describe.runIf(!glibc)('without glibc', () => {
  it('changes nothing', () => {
    expect(envWithMallocTuning({})).toBeNull();
    expect(mallocTuningNote({})).toBeNull();
  });
});
