import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';

const run = promisify(execFile);
const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
const child = fileURLToPath(new URL('./fixtures/report-backend.ts', import.meta.url));

async function startIn(threads?: number) {
  const args = ['--conditions=@xclr/source', child, ...(threads ? [String(threads)] : [])];
  const { stdout } = await run(tsx, args, { timeout: 240_000 });
  return JSON.parse(stdout.trim().split('\n').pop() as string) as {
    backend: string;
    threads: number;
    notes: string[];
    sum: number;
    pid: number;
  };
}

describe('wasm worker threads under Node', () => {
  it('runs on every logical core by default, gives the same numbers as one thread, and exits by itself', async () => {
    const cores = os.availableParallelism();
    const [many, one] = await Promise.all([startIn(), startIn(1)]);
    expect(many.backend).toBe('wasm');
    expect(many.threads).toBe(cores);
    expect(many.notes.join(' ')).not.toMatch(/did not start/);
    expect(one.threads).toBe(1);
    expect(many.sum).toBeCloseTo(one.sum, 1);
  });

  it('cleans up its worker scripts when the process exits', async () => {
    const { pid } = await startIn(2);
    // Only the child's own folders (named after its pid): other processes, e.g. other packages'
    // tests run alongside, may hold folders of their own at this moment.
    const left = (await import('node:fs')).readdirSync(os.tmpdir()).filter((f) => f.startsWith(`xclr-wasm-threads-${pid}-`));
    expect(left.filter((f) => existsSync(`${os.tmpdir()}/${f}`))).toEqual([]);
  });
});

describe('wasm worker threads: faults', () => {
  it('a start-up that hangs fails with a clear error after the timeout instead of waiting for ever', async () => {
    const { withNodeThreads, WasmThreadsTimeout } = await import('../src/threads/node-threads.js');
    const hung = withNodeThreads(2, () => new Promise<never>(() => {}), 200);
    await expect(hung).rejects.toBeInstanceOf(WasmThreadsTimeout);
    await expect(hung).rejects.toThrow(
      "the wasm backend's 2 worker threads did not start within 0.2 s; run again, or use one thread",
    );
  });

  it('writes each worker script once: a worker still loading it never sees it rewritten', async () => {
    // Emscripten makes the main script's blob, then one blob (and object URL) per worker, all alike.
    const fs = (await import('node:fs')).default;
    const { withNodeThreads } = await import('../src/threads/node-threads.js');
    const writes = vi.spyOn(fs, 'writeFileSync');
    try {
      const { result } = await withNodeThreads(
        2,
        async () => {
          new Blob(['var WasmBackendModuleThreadedSimd = 1;']);
          const urls = [0, 1, 2].map(() => URL.createObjectURL(new Blob(['self.onmessage = () => {};'])));
          return { urls, text: fs.readFileSync(urls[0], 'utf8') };
        },
        60_000,
      );
      expect(new Set(result.urls).size).toBe(1);
      expect(writes.mock.calls.map(([file]) => String(file).split('/').pop())).toEqual([
        'tfjs-backend-wasm-threaded-simd-0.js',
        'tfjs-backend-wasm-threaded-simd.worker-1.js',
      ]);
      expect(result.text).toMatch(/^URL\.createObjectURL = \(\) => ".*tfjs-backend-wasm-threaded-simd-0\.js";.*self\.onmessage/s);
    } finally {
      writes.mockRestore();
    }
  });

  it('the next start removes the worker folders of processes killed with SIGKILL (their exit handler never ran)', async () => {
    const fs = await import('node:fs');
    const { sweepStaleWorkerDirs } = await import('../src/threads/node-threads.js');
    const tmp = fs.mkdtempSync(`${os.tmpdir()}/xclr-sweep-`);
    const { spawnSync } = await import('node:child_process');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    for (const name of [
      `xclr-wasm-threads-${dead}-abc`,
      `xclr-wasm-threads-${process.pid}-def`,
      'xclr-wasm-threads-other',
      'unrelated',
    ]) {
      fs.mkdirSync(`${tmp}/${name}`);
    }
    expect(sweepStaleWorkerDirs(tmp)).toEqual([`xclr-wasm-threads-${dead}-abc`]);
    expect(fs.readdirSync(tmp).sort()).toEqual(
      ['unrelated', 'xclr-wasm-threads-other', `xclr-wasm-threads-${process.pid}-def`].sort(),
    );
  });
});
