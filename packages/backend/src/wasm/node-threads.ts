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

function removeOnExit(dir: string): void {
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
}

/** Runs `init` (the wasm backend's initialisation) with Node able to start its pthread workers. */
export async function withNodeThreads<T>(threads: number, init: () => Promise<T>): Promise<ThreadedInit<T>> {
  const workerDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-wasm-threads-'));
  removeOnExit(workerDir);
  const OriginalBlob = globalThis.Blob;
  const originalCreateObjectURL = URL.createObjectURL;
  const originalCpus = os.cpus;
  const OriginalWorker = workerThreads.Worker;
  const blobTexts = new WeakMap<Blob, string>();
  let mainScript: string | null = null;

  globalThis.Blob = class RecordingBlob extends OriginalBlob {
    constructor(
      parts: ConstructorParameters<typeof OriginalBlob>[0] = [],
      options?: ConstructorParameters<typeof OriginalBlob>[1],
    ) {
      super(parts, options);
      const text = parts.map(String).join('');
      blobTexts.set(this, text);
      if (text.startsWith(MAIN_SCRIPT_MARK)) {
        mainScript = path.join(workerDir, 'tfjs-backend-wasm-threaded-simd.js');
        fs.writeFileSync(mainScript, MAIN_SCRIPT_PRELUDE + text);
      }
    }
  };
  URL.createObjectURL = (blob: Blob) => {
    const text = blobTexts.get(blob);
    if (text == null) return originalCreateObjectURL(blob);
    if (mainScript == null) throw new Error('the threaded wasm main script was not seen before its worker');
    // Inside the worker, the main script arrives as a Blob too: point its object URL at the file.
    const file = path.join(workerDir, 'tfjs-backend-wasm-threaded-simd.worker.js');
    const redirect = `URL.createObjectURL = () => ${JSON.stringify(mainScript)}; URL.revokeObjectURL = () => {};\n`;
    fs.writeFileSync(file, redirect + text);
    return file;
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
  try {
    return { result: await init(), workerDir };
  } finally {
    clearInterval(keepAlive);
    globalThis.Blob = OriginalBlob;
    URL.createObjectURL = originalCreateObjectURL;
    os.cpus = originalCpus;
    (workerThreads as { Worker: unknown }).Worker = OriginalWorker;
  }
}
