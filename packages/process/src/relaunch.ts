import { spawn } from 'node:child_process';
import os from 'node:os';
import { envWithMallocTuning } from './malloc-tuning.js';
import { missingV8Flags } from './v8-flags.js';

/** Set in the relaunched child's environment: only such a child ties its life to the parent's IPC channel. */
const RELAUNCHED = 'XCLR_RELAUNCHED';

/** Signals a user or a scheduler sends to stop a run: passed on to the relaunched child. */
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * For an application's entry point: runs the same command (`process.execArgv`, `process.argv`)
 * again in a child process with the training malloc settings (TRAINING_MALLOC_TUNABLES; glibc
 * reads them only when a process starts) and the training V8 flags (TRAINING_V8_FLAGS; V8 reads
 * them when it sets up its heap), and resolves to the child's exit code. Returns null where this
 * process already has both, needs none or opted out of each (`XCLR_MALLOC_TUNING=0`,
 * `XCLR_V8_FLAGS=0`): go on in-process.
 *
 * The pid a user or scheduler sees is this process's, so it stands for the child: SIGINT, SIGTERM
 * and SIGHUP sent to it are passed on (the child runs in its own process group, so a Ctrl-C in the
 * terminal reaches it once, through here), and if this process dies (`kill -9`), the child notices
 * its IPC channel close and exits at once rather than train on unseen.
 *
 *   const child = relaunchWithMallocTuning();
 *   if (child) process.exit(await child);
 */
export function relaunchWithMallocTuning(): Promise<number> | null {
  const env = envWithMallocTuning();
  const flags = missingV8Flags();
  if (env == null && flags.length === 0) {
    exitWithParent();
    return null;
  }
  const child = spawn(process.execPath, [...flags, ...process.execArgv, ...process.argv.slice(1)], {
    env: { ...(env ?? process.env), [RELAUNCHED]: '1' },
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    detached: true,
  });
  const handlers = FORWARDED.map((signal) => [signal, () => child.kill(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  const restore = () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
  return new Promise<number>((resolve) => {
    child.on('error', (err) => {
      restore();
      process.stderr.write(
        `could not start ${process.execPath} again with the training settings (${err.message}); ` +
          'XCLR_MALLOC_TUNING=0 XCLR_V8_FLAGS=0 runs without\n',
      );
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      restore();
      resolve(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0));
    });
  });
}

/** In a relaunched child: exit when the relaunching parent is gone (its IPC channel closed). */
function exitWithParent(): void {
  if (!process.channel || process.env[RELAUNCHED] !== '1') return;
  process.channel.unref(); // the channel alone must not keep a finished child alive
  process.once('disconnect', () => {
    process.stderr.write('xclr: the relaunching parent process is gone; exiting\n');
    process.exit(128 + os.constants.signals.SIGKILL);
  });
}

/**
 * For an application's entry point: Node exits with status 0 once nothing keeps its event loop
 * alive, even while `command` still waits (seen, rarely, on a loaded machine while the wasm
 * backend's unref'd worker threads start). If that happens, this writes `prefix: the command
 * stopped unfinished …` and exits with status 70 instead, so no caller mistakes it for success.
 */
export function failIfUnfinished(command: Promise<unknown>, prefix: string): void {
  const unfinished = () => {
    process.stderr.write(`${prefix}: the command stopped unfinished (nothing was left to wait on); run it again\n`);
    process.exitCode = 70;
  };
  process.once('beforeExit', unfinished);
  void command.finally(() => process.off('beforeExit', unfinished));
}
