// A training step frees and reallocates the same large buffers every step. With its defaults,
// glibc's malloc hands memory above a dynamic threshold back to the kernel (munmap, heap trim)
// and gets it back zeroed, one page fault per 4 KiB on first touch. onnxruntime-node copies
// every output into a new ArrayBuffer, so the native engine hits this on every call. Where a
// fault is expensive (a virtual machine), an MLP training step took many of them and ran
// markedly longer. Two fixed thresholds keep the memory in the process. They are read once, when
// the process starts, hence an environment variable and a relaunch rather than a call.
// Measured (fault cost, faults per step, step times): packages/process/README.md.

/** glibc settings for a training process: keep up to 1 GiB of freed heap, mmap only above 32 MiB. */
export const TRAINING_MALLOC_TUNABLES = 'glibc.malloc.trim_threshold=1073741824:glibc.malloc.mmap_threshold=33554432';

/** Set to `0` to keep glibc's defaults (the xclr CLI then does not relaunch itself). */
export const MALLOC_TUNING_OPT_OUT = 'XCLR_MALLOC_TUNING';

export interface MallocTuning {
  /** `glibc` where the process runs on glibc (Linux), else null: nothing to tune. */
  libc: 'glibc' | null;
  /** Both thresholds are fixed in `GLIBC_TUNABLES` (by us or by the user). */
  tuned: boolean;
  /** The user asked for glibc's defaults (`XCLR_MALLOC_TUNING=0`). */
  optedOut: boolean;
}

function runsOnGlibc(): boolean {
  if (process.platform !== 'linux') return false;
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return typeof header?.glibcVersionRuntime === 'string';
}

let glibc: boolean | undefined;

/** Whether this process (or one started with `env`) runs with the training malloc settings. */
export function mallocTuning(env: NodeJS.ProcessEnv = process.env): MallocTuning {
  glibc ??= runsOnGlibc();
  const tunables = env.GLIBC_TUNABLES ?? '';
  return {
    libc: glibc ? 'glibc' : null,
    tuned: /glibc\.malloc\.trim_threshold=/.test(tunables) && /glibc\.malloc\.mmap_threshold=/.test(tunables),
    optedOut: env[MALLOC_TUNING_OPT_OUT] === '0',
  };
}

/** On glibc, without the settings, and not opted out. */
function wantsTuning(env: NodeJS.ProcessEnv): boolean {
  const state = mallocTuning(env);
  return state.libc != null && !state.tuned && !state.optedOut;
}

/**
 * The environment for a child process with the training malloc settings added to any
 * `GLIBC_TUNABLES` already there; null when there is nothing to change (not glibc, already set,
 * or opted out).
 */
export function envWithMallocTuning(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv | null {
  if (!wantsTuning(env)) return null;
  const existing = env.GLIBC_TUNABLES;
  return { ...env, GLIBC_TUNABLES: existing ? `${existing}:${TRAINING_MALLOC_TUNABLES}` : TRAINING_MALLOC_TUNABLES };
}

/** A note for `BackendChoice.notes` where the settings would help and are missing, else null. */
export function mallocTuningNote(env: NodeJS.ProcessEnv = process.env): string | null {
  if (!wantsTuning(env)) return null;
  return (
    'glibc malloc returns freed memory to the system between steps (page faults on every reuse): ' +
    `start node with GLIBC_TUNABLES=${TRAINING_MALLOC_TUNABLES} for faster steps (the xclr CLI does)`
  );
}
