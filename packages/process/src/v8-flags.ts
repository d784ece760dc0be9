// A training step makes many short-lived JavaScript objects per kernel (tensor records, typed-array
// views of the wasm heap, onnxruntime tensors). With V8's default young generation (16 MiB
// semi-spaces) they were scavenged so often that a ResNet-18 step on the wasm backend ran about an
// eighth slower than with 64 MiB. The size is fixed when V8 sets up its heap, so it is a flag of a
// relaunch (relaunch.ts), as the malloc settings are. Measured: packages/process/README.md.

/** V8 flags for a training process: a 64 MiB young generation (semi-space). */
export const TRAINING_V8_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

/** Set to `0` to keep V8's defaults. */
export const V8_FLAGS_OPT_OUT = 'XCLR_V8_FLAGS';

const flagName = (flag: string) => flag.split('=')[0];

/**
 * The training V8 flags a process started with `execArgv` and `env` lacks: none where it has each
 * (on its command line or in NODE_OPTIONS, with any value: the user's choice stands), where the
 * user opted out (`XCLR_V8_FLAGS=0`), or on Windows (no relaunch there).
 */
export function missingV8Flags(execArgv: readonly string[] = process.execArgv, env: NodeJS.ProcessEnv = process.env): string[] {
  if (env[V8_FLAGS_OPT_OUT] === '0' || process.platform === 'win32') return [];
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].map(flagName);
  return TRAINING_V8_FLAGS.filter((flag) => !given.includes(flagName(flag)));
}
