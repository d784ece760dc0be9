import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '@xclr/data';
import { type TrainingReportOptions, writeTrainingReport } from '@xclr/eval/report';
import { readMetrics } from '@xclr/training';

export function writeJson(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

const readJson = <T>(file: string): T | null => (fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as T) : null);
/** `runs/<date>-<name>/`, made unique with a suffix when it exists. */
export function createRunDir(root: string, name: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[:]/g, '').replace(/\..*/, '').replace('T', '-');
  let dir = path.join(root, `${stamp}-${name}`);
  for (let k = 2; fs.existsSync(dir); k++) dir = path.join(root, `${stamp}-${name}-${k}`);
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    throw new Error(`cannot create run directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return dir;
}

/** Renders a run directory's plots into `plots/` and writes `report.html`; returns the report path. */
export async function writeRunReport(runDir: string): Promise<string> {
  const summary = readJson<TrainingReportOptions['summary']>(path.join(runDir, 'summary.json'));
  const evalResult = readJson<TrainingReportOptions['evalResult']>(path.join(runDir, 'eval.json'));
  const graph = readJson<TrainingReportOptions['graph']>(path.join(runDir, 'graph.json'));
  const metricsFile = path.join(runDir, 'metrics.jsonl');
  if (!summary || !evalResult || !fs.existsSync(metricsFile)) {
    throw new Error(`${runDir}: not a finished run (needs summary.json, eval.json and metrics.jsonl)`);
  }
  const title = `xclr run ${path.basename(runDir)}`;
  return writeTrainingReport({ outDir: runDir, title, summary, evalResult, metrics: readMetrics(metricsFile), graph });
}
