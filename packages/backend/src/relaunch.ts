import { spawn } from 'node:child_process';
import os from 'node:os';
import { envWithMallocTuning } from './malloc-tuning.js';

/**
 * For an application's entry point: runs the same command (`process.execArgv`, `process.argv`)
 * again in a child process with the training malloc settings (TRAINING_MALLOC_TUNABLES; glibc
 * reads them only when a process starts) and resolves to the child's exit code. Returns null
 * where this process already has them, needs none or opted out (`XCLR_MALLOC_TUNING=0`): go on
 * in-process. Ctrl-C reaches the child from the terminal directly; SIGTERM and SIGHUP sent to
 * this process are passed on, so an interrupted run still saves its checkpoint.
 *
 *   const child = relaunchWithMallocTuning();
 *   if (child) process.exit(await child);
 */
export function relaunchWithMallocTuning(): Promise<number> | null {
  const env = envWithMallocTuning();
  if (env == null) return null;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { env, stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  // SIGINT goes to the whole foreground process group: the child gets its own.
  const handlers: [NodeJS.Signals, () => void][] = [
    ['SIGINT', () => {}],
    ['SIGTERM', forward('SIGTERM')],
    ['SIGHUP', forward('SIGHUP')],
  ];
  for (const [signal, handler] of handlers) process.on(signal, handler);
  const restore = () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
  return new Promise<number>((resolve) => {
    child.on('error', (err) => {
      restore();
      process.stderr.write(
        `could not start ${process.execPath} again with GLIBC_TUNABLES (${err.message}); XCLR_MALLOC_TUNING=0 runs without\n`,
      );
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      restore();
      resolve(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0));
    });
  });
}
