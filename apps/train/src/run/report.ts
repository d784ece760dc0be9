import fs from 'node:fs';
import path from 'node:path';
import { type TrainingReportOptions, writeTrainingReport } from '@xclr/eval/report';
import { readMetrics } from '@xclr/training';

function readJson<T>(file: string): T | null {
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as T) : null;
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
