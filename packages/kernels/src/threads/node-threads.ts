import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import workerThreads from 'node:worker_threads';

// tfjs-backend-wasm never uses its threaded binary under Node (tfjs issue #3830), for three
// reasons this module works around while the backend initialises, and undoes right after:
//  1. the WASM_HAS_MULTITHREAD_SUPPORT flag is hard-coded false for Node (the caller sets it);
//  2. Emscripten's pthread workers are started from `blob:` URLs, which `worker_threads` cannot
//     load (ERR_WORKER_PATH): the two scripts are written to real files in a temp directory,
//     removed when the process exits;
//  3. the native side sizes its thread pool from os.cpus() (half the logical cores): os.cpus()
//     reports enough cores for the requested count.
// Workers are unref'd (and never ref'd again) so that they never keep a finished process alive.

const MAIN_SCRIPT_MARK = 'var WasmBackendModuleThreadedSimd';
// The main script was cut out of the tfjs bundle, so it lacks the bundle's own top-level names.
const MAIN_SCRIPT_PRELUDE =
  "var require$$0 = require('fs'), require$$1 = require('path'), require$$3 = require('perf_hooks'), " +
  "require$$4 = require('os'), commonjsGlobal = globalThis;\n";

export interface ThreadedInit<T> {
  result: T;
  workerDir: string;
}

const WORKER_DIR_PREFIX = 'xclr-wasm-threads-';

function removeOnExit(dir: string): void {
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the worker-script folders of processes that are gone: one killed with SIGKILL never
 * ran its exit handler. Folders are named after their process's pid.
 */
export function sweepStaleWorkerDirs(tmp = os.tmpdir()): string[] {
  const removed: string[] = [];
  for (const name of fs.existsSync(tmp) ? fs.readdirSync(tmp) : []) {
    const pid = Number(name.startsWith(WORKER_DIR_PREFIX) ? name.slice(WORKER_DIR_PREFIX.length).split('-')[0] : Number.NaN);
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    fs.rmSync(path.join(tmp, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** Thrown when the threaded start-up hangs: the caller must not try again in this process. */
export class WasmThreadsTimeout extends Error {}

/**
 * Runs `init` (the wasm backend's initialisation) with Node able to start its pthread workers.
 * A start-up that has not finished after `timeoutMs` (it hung, rarely, while starting workers)
 * rejects with WasmThreadsTimeout instead of waiting for ever.
 */
export async function withNodeThreads<T>(threads: number, init: () => Promise<T>, timeoutMs = 120_000): Promise<ThreadedInit<T>> {
  sweepStaleWorkerDirs();
  const workerDir = fs.mkdtempSync(path.join(os.tmpdir(), `${WORKER_DIR_PREFIX}${process.pid}-`));
  removeOnExit(workerDir);
  const OriginalBlob = globalThis.Blob;
  const originalCreateObjectURL = URL.createObjectURL;
  const originalCpus = os.cpus;
  const OriginalWorker = workerThreads.Worker;
  const blobTexts = new WeakMap<Blob, string>();
  let mainScript: string | null = null;
  // Each script is written once, under its own name: Emscripten makes one blob per worker, and a
  // worker still loading the file while the next worker's blob rewrote it (truncated, then
  // written) could read it half-written and never report in.
  const written = new Map<string, string>();
  const writeOnce = (text: string, name: (n: number) => string) => {
    let file = written.get(text);
    if (file == null) {
      file = path.join(workerDir, name(written.size));
      fs.writeFileSync(file, text);
      written.set(text, file);
    }
    return file;
  };

  globalThis.Blob = class RecordingBlob extends OriginalBlob {
    constructor(
      parts: ConstructorParameters<typeof OriginalBlob>[0] = [],
      options?: ConstructorParameters<typeof OriginalBlob>[1],
    ) {
      super(parts, options);
      const text = parts.map(String).join('');
      blobTexts.set(this, text);
      if (text.startsWith(MAIN_SCRIPT_MARK)) {
        mainScript = writeOnce(MAIN_SCRIPT_PRELUDE + text, (n) => `tfjs-backend-wasm-threaded-simd-${n}.js`);
      }
    }
  };
  URL.createObjectURL = (blob: Blob) => {
    const text = blobTexts.get(blob);
    if (text == null) return originalCreateObjectURL(blob);
    if (mainScript == null) throw new Error('the threaded wasm main script was not seen before its worker');
    // Inside the worker, the main script arrives as a Blob too: point its object URL at the file.
    const redirect = `URL.createObjectURL = () => ${JSON.stringify(mainScript)}; URL.revokeObjectURL = () => {};\n`;
    return writeOnce(redirect + text, (n) => `tfjs-backend-wasm-threaded-simd.worker-${n}.js`);
  };
  const cpu = originalCpus()[0];
  os.cpus = () => Array.from({ length: 2 * threads }, () => cpu);
  (workerThreads as { Worker: unknown }).Worker = class UnrefWorker extends OriginalWorker {
    constructor(...args: ConstructorParameters<typeof OriginalWorker>) {
      super(...args);
      this.unref();
    }

    // Emscripten refs a worker while it runs a pthread; the pool's threads run for good.
    override ref(): void {}

    // Adding a 'message' listener refs the worker's port again: unref after every listener.
    // biome-ignore lint/suspicious/noExplicitAny: mirrors EventEmitter's own listener type.
    override on(event: string | symbol, listener: (...args: any[]) => void): this {
      super.on(event, listener);
      this.unref();
      return this;
    }
  };
  // The workers are unref'd, so while they load nothing else may keep the event loop alive.
  const keepAlive = setInterval(() => {}, 1 << 30);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new WasmThreadsTimeout(
            `the wasm backend's ${threads} worker threads did not start within ${timeoutMs / 1000} s; run again, or use one thread (--set backend.threads=1)`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    return { result: await Promise.race([init(), timeout]), workerDir };
  } finally {
    clearTimeout(timer);
    clearInterval(keepAlive);
    globalThis.Blob = OriginalBlob;
    URL.createObjectURL = originalCreateObjectURL;
    os.cpus = originalCpus;
    (workerThreads as { Worker: unknown }).Worker = OriginalWorker;
  }
}
