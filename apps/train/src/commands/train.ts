import fs from 'node:fs';
import path from 'node:path';
import type { RunConfig } from '../config/schema.js';
import { applyOverrides, validateConfig } from '../config/overrides.js';
import { createRunDir } from '../run/run-dir.js';
import { headlineK, runTraining, type Summary, summaryTable } from '../run/trainer.js';

export interface TrainCommandOptions {
  runsDir: string;
  resume?: string;
  set?: string[];
  out: (line: string) => void;
  log: (line: string) => void;
}

/**
 * `xclr train`: a new run directory (or `--resume RUN_DIR`), Ctrl-C saves a checkpoint and stops
 * cleanly, and the run ends with the accuracy table.
 */
export async function trainCommand(config: RunConfig | null, options: TrainCommandOptions): Promise<Summary | null> {
  let runDir: string;
  let resolved: RunConfig;
  if (options.resume) {
    runDir = options.resume;
    const file = path.join(runDir, 'config.resolved.json');
    if (!fs.existsSync(file)) throw new Error(`${runDir}: not a run directory (no config.resolved.json)`);
    // --set on a resume adjusts the saved config (e.g. more epochs); the checkpoint refuses a
    // different architecture.
    resolved = applyOverrides(validateConfig(JSON.parse(fs.readFileSync(file, 'utf8')), file), options.set ?? []);
  } else {
    resolved = config as RunConfig;
    runDir = createRunDir(options.runsDir, resolved.name);
  }
  options.log(`run directory: ${runDir}`);
  const stop = { requested: false };
  const onSigint = () => {
    if (stop.requested) process.exit(130);
    stop.requested = true;
    options.log('\ninterrupted: saving a checkpoint after this step (Ctrl-C again to quit at once)');
  };
  process.on('SIGINT', onSigint);
  try {
    const summary = await runTraining(resolved, runDir, { resume: Boolean(options.resume), stop, log: options.log });
    if (!summary) return null;
    options.out(summaryTable(summary, headlineK(resolved)));
    const native = summary.native ? ` + ${summary.native}` : '';
    options.out(`backend ${summary.backend}${native} (${summary.threads} thread${summary.threads === 1 ? '' : 's'}), ${summary.samplesPerSecond} samples/s, ${summary.seconds.toFixed(0)} s in total; outputs in ${runDir}`);
    return summary;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
