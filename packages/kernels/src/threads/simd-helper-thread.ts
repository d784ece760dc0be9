import workerThreads from 'node:worker_threads';
import { heapMemory } from '../core/heap.js';
import { type SimdHelper, type SimdJob, setSimdHelper } from '../simd/simd-helper.js';
import { isSharedMemory, simdKernels, simdModuleBytes } from '../simd/simd-kernels.js';

// A worker thread with its own instance of the SIMD module on the wasm backend's shared heap,
// driven through a small shared control block with Atomics (a job is a few microseconds to post;
// a message round trip through the event loop would need this thread to yield, which a kernel
// cannot). The calling thread blocks in Atomics.wait until the helper's share is done.

// Control block: int32 state, export index, argument count, calls, outer calls, message length;
// then the arguments, their step per call and per outer call (float64), then an error message.
const [STATE, FN, ARGC, CALLS, OUTER, MESSAGE_LENGTH] = [0, 1, 2, 3, 4, 5];
const MAX_ARGS = 24;
const ARGS_AT = 32;
const STEP_AT = ARGS_AT + 8 * MAX_ARGS;
const OUTER_STEP_AT = STEP_AT + 8 * MAX_ARGS;
const MESSAGE_AT = OUTER_STEP_AT + 8 * MAX_ARGS;
const MESSAGE_BYTES = 512;
const CONTROL_BYTES = MESSAGE_AT + MESSAGE_BYTES;
// states (0: idle)
const [JOB, DONE, FAILED, STOP] = [1, 2, 3, 4];

/** The helper's source (CommonJS, run with `eval`): wait for a job, run it, report, repeat. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { bytes, memory, control, names } = workerData;
const kernels = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;
const state = new Int32Array(control, 0, 8);
const args = new Float64Array(control, ${ARGS_AT}, ${MAX_ARGS});
const step = new Float64Array(control, ${STEP_AT}, ${MAX_ARGS});
const outerStep = new Float64Array(control, ${OUTER_STEP_AT}, ${MAX_ARGS});
const message = new Uint8Array(control, ${MESSAGE_AT}, ${MESSAGE_BYTES});
parentPort.postMessage('ready');
for (;;) {
  let s = Atomics.load(state, ${STATE});
  while (s !== ${JOB} && s !== ${STOP}) {
    Atomics.wait(state, ${STATE}, s);
    s = Atomics.load(state, ${STATE});
  }
  if (s === ${STOP}) break;
  try {
    const fn = kernels[names[state[${FN}]]];
    const n = state[${ARGC}];
    for (let o = 0; o < state[${OUTER}]; o++) {
      const a = Array.from(args.subarray(0, n), (v, k) => v + o * outerStep[k]);
      for (let i = 0; i < state[${CALLS}]; i++) {
        if (i > 0) for (let k = 0; k < n; k++) a[k] += step[k];
        fn(...a);
      }
    }
    Atomics.store(state, ${STATE}, ${DONE});
  } catch (err) {
    const text = new TextEncoder().encode(String((err && err.message) || err)).subarray(0, ${MESSAGE_BYTES});
    message.set(text);
    state[${MESSAGE_LENGTH}] = text.length;
    Atomics.store(state, ${STATE}, ${FAILED});
  }
  Atomics.notify(state, ${STATE});
}
`;

/** How long a share may take before the calling thread gives up on the helper. */
const JOB_TIMEOUT_MS = 120_000;
/** How long the helper may take to start. */
const START_TIMEOUT_MS = 30_000;

class SimdHelperThread implements SimdHelper {
  private readonly state: Int32Array;
  private readonly args: Float64Array;
  private readonly step: Float64Array;
  private readonly outerStep: Float64Array;
  private readonly message: Uint8Array;
  private readonly index: Map<string, number>;
  private running: string | null = null;
  jobs = 0;

  constructor(
    private readonly worker: workerThreads.Worker,
    control: SharedArrayBuffer,
    names: string[],
    private readonly onBroken: () => void,
  ) {
    this.state = new Int32Array(control, 0, 8);
    this.args = new Float64Array(control, ARGS_AT, MAX_ARGS);
    this.step = new Float64Array(control, STEP_AT, MAX_ARGS);
    this.outerStep = new Float64Array(control, OUTER_STEP_AT, MAX_ARGS);
    this.message = new Uint8Array(control, MESSAGE_AT, MESSAGE_BYTES);
    this.index = new Map(names.map((n, i) => [n, i]));
  }

  start(job: SimdJob): void {
    if (this.running != null) throw new Error(`@xclr/kernels: the SIMD helper thread is still running ${this.running}`);
    const fn = this.index.get(job.name);
    if (fn == null || job.args.length > MAX_ARGS) throw new Error(`@xclr/kernels: the SIMD helper thread cannot run ${job.name}`);
    this.args.set(job.args);
    this.step.fill(0);
    this.outerStep.fill(0);
    if (job.step) this.step.set(job.step);
    if (job.outer) this.outerStep.set(job.outer.step);
    this.state[FN] = fn;
    this.state[ARGC] = job.args.length;
    this.state[CALLS] = job.calls ?? 1;
    this.state[OUTER] = job.outer?.calls ?? 1;
    this.running = job.name;
    this.jobs += 1;
    Atomics.store(this.state, STATE, JOB);
    Atomics.notify(this.state, STATE, 1);
  }

  wait(): void {
    const name = this.running;
    if (name == null) return;
    const deadline = performance.now() + JOB_TIMEOUT_MS;
    while (Atomics.load(this.state, STATE) === JOB) {
      if (performance.now() > deadline) {
        // It may still be writing to the heap: never hand it another job.
        this.onBroken();
        throw new Error(`@xclr/kernels: the SIMD helper thread did not finish ${name} within ${JOB_TIMEOUT_MS / 1000} s`);
      }
      Atomics.wait(this.state, STATE, JOB, 1000);
    }
    this.running = null;
    if (Atomics.load(this.state, STATE) === FAILED) {
      const text = new TextDecoder().decode(this.message.slice(0, this.state[MESSAGE_LENGTH]));
      throw new Error(`@xclr/kernels: the SIMD helper thread failed in ${name}: ${text}`);
    }
  }

  dispose(): void {
    Atomics.store(this.state, STATE, STOP);
    Atomics.notify(this.state, STATE);
    void this.worker.terminate();
  }
}

/**
 * Starts a helper thread for the SIMD loops on the wasm backend's heap (which must be shared: the
 * threaded backend) and registers it (simd-helper.ts). Resolves to null, with the reason, where
 * it cannot start. The thread never keeps the process alive.
 */
export async function startSimdHelper(backend: unknown): Promise<{ helper: SimdHelper | null; note: string }> {
  const memory = heapMemory(backend);
  if (memory == null || !isSharedMemory(memory))
    return { helper: null, note: 'SIMD loops on one thread (the heap is not shared)' };
  const control = new SharedArrayBuffer(CONTROL_BYTES);
  const names = Object.keys(simdKernels(memory));
  const worker = new workerThreads.Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { bytes: simdModuleBytes(true), memory, control, names },
  });
  worker.unref();
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`it did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      timer.unref();
      worker.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
      worker.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  } catch (err) {
    void worker.terminate();
    return { helper: null, note: `SIMD loops on one thread (the helper thread failed: ${(err as Error).message})` };
  }
  const helper: SimdHelper = new SimdHelperThread(worker, control, names, () => setSimdHelper(memory, null));
  setSimdHelper(memory, helper)?.dispose();
  return { helper, note: 'SIMD loops in two shares (a helper thread on the shared heap)' };
}
