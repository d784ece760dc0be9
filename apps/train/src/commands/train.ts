import fs from 'node:fs';
import { headlineK } from '@xclr/eval';
import { scoreTable } from '@xclr/eval/protocol';
import { applyOverrides, readRunConfig } from '../config/overrides.js';
import type { RunConfig } from '../config/schema.js';
import { createRunDir } from '../run/run-dir.js';
import { runTraining, type Summary } from '../run/trainer.js';

export interface TrainCommandOptions {
  runsDir: string;
  resume?: string;
  set?: string[];
  out: (line: string) => void;
  log: (line: string) => void;
}

/** Why a run stopped early, for the exit code: 130 after Ctrl-C, 143 after SIGTERM, as a shell reports them. */
export class Stopped extends Error {
  constructor(readonly code: number) {
    super(`stopped (exit ${code})`);
  }
}

/**
 * `xclr train`: a new run directory (or `--resume RUN_DIR`). Ctrl-C or SIGTERM saves a checkpoint
 * after the current step and stops (a second Ctrl-C quits at once); the run ends with the accuracy table.
 */
export async function trainCommand(config: RunConfig | null, options: TrainCommandOptions): Promise<Summary> {
  let runDir: string;
  let resolved: RunConfig;
  if (options.resume) {
    runDir = options.resume;
    // --set on a resume adjusts the saved config (e.g. more epochs); the checkpoint refuses a
    // different architecture or different batches.
    resolved = applyOverrides(readRunConfig(runDir), options.set ?? []);
  } else {
    resolved = config as RunConfig;
    runDir = createRunDir(options.runsDir, resolved.name);
  }
  options.log(`run directory: ${runDir}`);
  const controller = new AbortController();
  let exitCode = 0;
  const stopOn = (signal: NodeJS.Signals, code: number) => () => {
    if (controller.signal.aborted) {
      if (signal === 'SIGINT') process.exit(130);
      return;
    }
    exitCode = code;
    options.log(
      `\n${signal}: saving a checkpoint after this step${signal === 'SIGINT' ? ' (Ctrl-C again to quit at once)' : ''}`,
    );
    controller.abort(signal);
  };
  const handlers: [NodeJS.Signals, () => void][] = [
    ['SIGINT', stopOn('SIGINT', 130)],
    ['SIGTERM', stopOn('SIGTERM', 143)],
  ];
  for (const [signal, handler] of handlers) process.on(signal, handler);
  try {
    const summary = await runTraining(resolved, runDir, {
      resume: Boolean(options.resume),
      signal: controller.signal,
      log: options.log,
    }).catch((err) => {
      // A new run that failed before training began leaves no empty run directory behind.
      if (!options.resume && fs.readdirSync(runDir).length === 0) fs.rmdirSync(runDir);
      throw err;
    });
    if (!summary) throw new Stopped(exitCode || 130);
    options.out(scoreTable(summary.name, summary, headlineK(resolved.eval.knnK)));
    const native = summary.native ? ` + ${summary.native}` : '';
    options.out(
      `backend ${summary.backend}${native} (${summary.threads} thread${summary.threads === 1 ? '' : 's'}), ${summary.samplesPerSecond} samples/s, ${summary.seconds.toFixed(0)} s in total; outputs in ${runDir}`,
    );
    return summary;
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}
