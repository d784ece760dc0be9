import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/unfinished.ts', import.meta.url));

const run = (mode: string) =>
  new Promise<{ code: number; stderr: string }>((resolve, reject) => {
    execFile(tsx, [fixture, mode], { timeout: 240_000 }, (err, _stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stderr });
    });
  });

describe('failIfUnfinished', () => {
  it('turns an exit with the command still pending into status 70 and a message; a settled command exits 0', async () => {
    const pending = await run('pending');
    expect(pending.code).toBe(70);
    expect(pending.stderr).toContain('demo: the command stopped unfinished (nothing was left to wait on); run it again');
    expect(await run('done')).toEqual({ code: 0, stderr: '' });
  }, 300_000);
});
