import { createRequire } from 'node:module';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { ensureGradients } from './gradients.js';
import { mallocTuningNote } from '@xclr/process';
import { loadKernels, setUpStockWasm } from './kernels.js';
import { adapterName, setUpWebGpu, type WebGpuAdapter, type WebGpuOptions } from './webgpu/setup.js';

/** Names accepted by `useFastestBackend({ backend })`; `auto` tries them fastest first. */
export const BACKEND_NAMES = ['auto', 'tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendRequest = (typeof BACKEND_NAMES)[number];

export interface SkippedBackend {
  backend: Exclude<BackendRequest, 'auto'>;
  reason: string;
}

export interface BackendChoice {
  /** The package that provides the backend now active. */
  backend: Exclude<BackendRequest, 'auto'>;
  /** The name tfjs knows it by (`tf.getBackend()`): `tensorflow`, `webgpu`, `wasm` or `cpu`. */
  tfBackend: string;
  /** Threads the backend computes on (1 for cpu and webgpu). */
  threads: number;
  /** Faster backends that were not used, each with the reason. */
  skipped: SkippedBackend[];
  /**
   * On wasm: the native engine that runs large matmuls and convolutions (`onnxruntime-node
   * 1.30.0`), or null where they run on XNNPACK (see `notes` for why).
   */
  native: string | null;
  /**
   * The WebGPU adapter Dawn found, whether in use (backend `webgpu`) or passed over (a software
   * adapter in `auto`; `skipped` says why); null where none was found or webgpu was not tried.
   */
  adapter: WebGpuAdapter | null;
  /** Notes about what was set up (kernels added, thread fallbacks, ...). */
  notes: string[];
}

export interface UseBackendOptions {
  /** `auto` (default) picks the fastest present; a name forces that backend or fails. */
  backend?: BackendRequest;
  /** Threads for wasm: default all logical cores; 1 disables worker threads. */
  threads?: number;
  /**
   * On wasm, run large float32 matmuls and convolutions on onnxruntime-node's native kernels
   * (MLAS) when it is installed (default true; false keeps them on XNNPACK).
   */
  native?: boolean;
  /** How to reach a WebGPU adapter through Dawn (rarely needed: the defaults find one where there is one). */
  webgpu?: WebGpuOptions;
  /** Where progress lines go (default: nowhere). */
  log?: (line: string) => void;
}

const ORDER: Exclude<BackendRequest, 'auto'>[] = ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'];

async function tryNative(pkg: 'tfjs-node-gpu' | 'tfjs-node'): Promise<string | null> {
  // Both native packages are CommonJS; resolving first tells "not installed" apart from
  // "installed but broken" (a missing libtensorflow, a CUDA mismatch).
  const require = createRequire(import.meta.url);
  const id = `@tensorflow/${pkg}`;
  try {
    require.resolve(id);
  } catch {
    return `${id} is not installed`;
  }
  try {
    require(id);
  } catch (err) {
    return `${id} failed to load: ${(err as Error).message.split('\n')[0]}`;
  }
  if (!(await tf.setBackend('tensorflow'))) return `@tensorflow/${pkg} loaded but its backend did not initialise`;
  return null;
}

async function trySetUp(
  backend: Exclude<BackendRequest, 'auto'>,
  options: UseBackendOptions,
  notes: string[],
  byName: boolean,
): Promise<{ error: string | null; threads: number; native?: string | null; adapter?: WebGpuAdapter | null }> {
  switch (backend) {
    case 'tfjs-node-gpu':
    case 'tfjs-node':
      return { error: await tryNative(backend), threads: os.availableParallelism() };
    case 'webgpu': {
      // In auto, only a hardware adapter is taken (a software one is slower than wasm).
      const { error, adapter } = await setUpWebGpu(options.webgpu, byName);
      return { error, threads: 1, adapter };
    }
    case 'wasm': {
      try {
        const kernels = await loadKernels();
        if (kernels == null) {
          notes.push('wasm without training kernels (@xclr/kernels is not installed: npm install @xclr/kernels)');
          return { error: null, threads: await setUpStockWasm(), native: null };
        }
        const {
          threads,
          native,
          notes: wasmNotes,
        } = await kernels.setUpWasmTraining({ threads: options.threads, native: options.native });
        notes.push(...wasmNotes);
        const malloc = native ? mallocTuningNote() : null;
        if (malloc) notes.push(malloc);
        return { error: null, threads, native };
      } catch (err) {
        return { error: `wasm failed to initialise: ${(err as Error).message}`, threads: 1 };
      }
    }
    case 'cpu': {
      await import('@tensorflow/tfjs-backend-cpu');
      const replaced = (await loadKernels())?.setUpCpuTraining() ?? [];
      if (replaced.length > 0) notes.push(`cpu kernels: ${replaced.join(', ')}`);
      const ok = await tf.setBackend('cpu');
      silenceCpuBanner();
      return { error: ok ? null : 'cpu backend did not initialise', threads: 1 };
    }
  }
}

/**
 * The cpu backend prints an "install tfjs-node" banner on its first write; this package reports
 * its own, more precise reason instead. (Setting IS_TEST would also silence it, but turns on the
 * engine's per-kernel leak check, which misfires on wasm's fused matmul gradient.)
 */
export function silenceCpuBanner(): void {
  const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (cpu) cpu.firstUse = false;
}

/**
 * Activates the fastest TensorFlow.js backend present (`tfjs-node-gpu` > `webgpu` on a GPU >
 * `tfjs-node` > `wasm` > `cpu`), with gradients registered, and says what it chose and why it
 * skipped the faster ones. A software WebGPU adapter is used only when `webgpu` is asked for.
 * Libraries never call this: applications do, once, before building models.
 */
export async function useFastestBackend(options: UseBackendOptions = {}): Promise<BackendChoice> {
  const request = options.backend ?? 'auto';
  if (!BACKEND_NAMES.includes(request)) {
    throw new Error(`@xclr/backend: unknown backend "${String(request)}"; expected one of ${BACKEND_NAMES.join(', ')}`);
  }
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) {
    throw new Error(`@xclr/backend: threads must be a positive integer, got ${options.threads}`);
  }
  await ensureGradients();
  const candidates = request === 'auto' ? ORDER : [request];
  const skipped: SkippedBackend[] = [];
  const notes: string[] = [];
  let found: WebGpuAdapter | null = null;
  for (const backend of candidates) {
    const { error, threads, native, adapter } = await trySetUp(backend, options, notes, request !== 'auto');
    found ??= adapter ?? null;
    if (error == null) {
      await tf.ready();
      const choice: BackendChoice = {
        backend,
        tfBackend: tf.getBackend(),
        threads,
        native: native ?? null,
        adapter: found,
        skipped,
        notes,
      };
      options.log?.(describeBackend(choice));
      return choice;
    }
    skipped.push({ backend, reason: error });
  }
  throw new Error(
    `@xclr/backend: could not start the requested backend "${request}": ${skipped.map((s) => s.reason).join('; ')}`,
  );
}

/** One line for logs and bug reports, e.g. `backend: wasm (2 threads); skipped tfjs-node: not installed`. */
export function describeBackend(choice: BackendChoice): string {
  const on =
    choice.backend === 'webgpu' && choice.adapter
      ? adapterName(choice.adapter)
      : `${choice.threads} thread${choice.threads === 1 ? '' : 's'}`;
  const skipped = choice.skipped.map((s) => `skipped ${s.backend}: ${s.reason}`);
  return [`backend: ${choice.backend} (${on})`, ...skipped, ...choice.notes].join('; ');
}
