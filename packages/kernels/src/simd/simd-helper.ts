import { heapMemory } from '../core/heap.js';
import type { WasmMemory } from '../core/webassembly.js';
import { type SimdKernels, simdKernels } from './simd-kernels.js';

// This module's SIMD loops run on the thread that calls a kernel. Where the heap is shared (the
// threaded wasm backend), a helper thread with its own instance of the same module on the same
// heap can take a share of a loop: the Node set-up starts one (threads/simd-helper-thread.ts);
// elsewhere every loop runs in one share.

/**
 * Which export to call, and how: `name(args + o · outer.step + i · step)` for o < outer.calls,
 * i < calls (a loop over images, then over rows, say).
 */
export interface SimdJob {
  name: keyof SimdKernels;
  args: number[];
  /** Calls of `name` (default 1); `step[k]` is added to argument k between calls (addresses). */
  calls?: number;
  step?: number[];
  /** An outer loop around those calls (default: once). */
  outer?: { calls: number; step: number[] };
}

/** A second thread running SIMD jobs on the same heap. */
export interface SimdHelper {
  /** Jobs started so far. */
  readonly jobs: number;
  /** Starts `job` on the helper thread; `wait` returns once it is done and throws what it threw. */
  start(job: SimdJob): void;
  wait(): void;
  dispose(): void;
}

const helpers = new WeakMap<WasmMemory, SimdHelper>();

/** The helper thread of `memory`'s loops, if one is set up. */
export function simdHelper(memory: WasmMemory): SimdHelper | null {
  return helpers.get(memory) ?? null;
}

/** Sets (or with null removes) the helper thread of `memory`'s loops; returns the previous one. */
export function setSimdHelper(memory: WasmMemory, helper: SimdHelper | null): SimdHelper | null {
  const previous = helpers.get(memory) ?? null;
  if (helper == null) helpers.delete(memory);
  else helpers.set(memory, helper);
  return previous;
}

/** Runs `job` on this thread with `kernels`. */
function runSimdJob(kernels: SimdKernels, job: SimdJob): void {
  const fn = kernels[job.name] as unknown as (...args: number[]) => void;
  for (let o = 0; o < (job.outer?.calls ?? 1); o++) {
    const args = job.args.map((a, k) => a + o * (job.outer?.step[k] ?? 0));
    for (let i = 0; i < (job.calls ?? 1); i++) {
      if (i > 0 && job.step) for (let k = 0; k < args.length; k++) args[k] += job.step[k] ?? 0;
      fn(...args);
    }
  }
}

/**
 * Below this many bytes of work a loop runs in one share: waking the helper and waiting for it
 * costs tens of microseconds.
 */
export const SHARE_MIN_BYTES = 1 << 18;

/**
 * Runs a loop over `units` units (rows, images, vectors) of about `unitBytes` bytes each:
 * `job(first, count)` is the SIMD job for units [first, first + count). Where the backend's heap
 * has a helper thread and the work is large enough, the second half runs there while this
 * thread runs the first; otherwise all of it runs here.
 */
export function inTwoShares(
  backend: unknown,
  units: number,
  unitBytes: number,
  job: (first: number, count: number) => SimdJob,
): void {
  const memory = heapMemory(backend);
  if (memory == null) throw new Error('@xclr/kernels: no wasm heap found for a SIMD loop');
  const kernels = simdKernels(memory);
  const helper = helpers.get(memory);
  if (helper == null || units < 2 || units * unitBytes < SHARE_MIN_BYTES) {
    runSimdJob(kernels, job(0, units));
    return;
  }
  const half = Math.floor(units / 2);
  helper.start(job(half, units - half));
  let failed: unknown = null;
  try {
    runSimdJob(kernels, job(0, half));
  } catch (err) {
    failed = err;
  }
  // Always wait: the helper is still writing to the heap until it is done.
  helper.wait();
  if (failed != null) throw failed;
}
