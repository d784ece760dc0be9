import fs from 'node:fs';
import { writeFileAtomic } from '../write-atomic.js';
import type { Callback } from './callback.js';

export interface MetricsLogOptions {
  /** Write a step record every this many steps (default 1). */
  every?: number;
  /** Name of the validation metric in epoch records (default `validation`). */
  validationName?: string;
  /** Constant fields added to every step record (e.g. the learning rate). */
  stepFields?: Record<string, unknown>;
}

/**
 * Reads a JSON-lines log. A torn last line (a kill or a full disk during an append) is dropped;
 * a malformed line before it is an error naming the file and line.
 */
export function readMetrics(file: string): Record<string, unknown>[] {
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const records: Record<string, unknown>[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      records.push(JSON.parse(line));
    } catch (err) {
      const torn = i === lines.length - 1; // no newline after it: the append never finished
      if (!torn) throw new Error(`${file}:${i + 1}: not a JSON record (${(err as Error).message})`);
    }
  });
  return records;
}

/**
 * A `metrics.jsonl` of step, epoch and checkpoint records (what each save cost, in ms). On a resumed run, records after the checkpoint's
 * step (written before a crash, then trained again) are dropped first, so the log reads as one run.
 */
export function metricsLog(file: string, options: MetricsLogOptions = {}): Callback {
  const { every = 1, validationName = 'validation', stepFields = {} } = options;
  const append = (record: Record<string, unknown>) => {
    try {
      fs.appendFileSync(file, `${JSON.stringify(record)}\n`);
    } catch (err) {
      throw new Error(`${file}: could not append a record (${(err as Error).message})`);
    }
  };
  return {
    onTrainBegin: (context) => {
      const kept = readMetrics(file).filter((r) => (r.step as number) <= context.state.step);
      if (fs.existsSync(file) || kept.length) writeFileAtomic(file, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
    },
    onStepEnd: (log, context) => {
      if (log.step % every !== 0 && log.step !== context.totalSteps) return;
      append({
        kind: 'step',
        step: log.step,
        epoch: log.epoch,
        loss: log.loss,
        gradNorm: log.gradNorm,
        ...stepFields,
        samplesPerSecond: Math.round(log.samplesPerSecond),
        ...log.metrics,
      });
    },
    onCheckpoint: (log) => append({ kind: 'checkpoint', name: log.name, step: log.step, ms: Math.round(log.ms) }),
    onEpochEnd: (log) => {
      append({
        kind: 'epoch',
        step: log.step,
        epoch: log.epoch,
        ...(log.validation === undefined ? {} : { [validationName]: log.validation }),
        seconds: log.seconds,
      });
    },
  };
}
