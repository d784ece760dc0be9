import path from 'node:path';
import { type BackendChoice, fusedAdam } from '@xclr/backend';
import {
  type Batch,
  ContrastiveLoader,
  defaultCacheDir,
  disposeBatch,
  NO_AUGMENT,
  simclrAugment,
  writeFileAtomic,
} from '@xclr/data';
import { batchRows } from '@xclr/graph';
import { type EvalResult, evaluateEncoder, headlineK, heldOutKnn } from '@xclr/eval/protocol';
import { type DataSource, type FitResult, fit, mapBatches, metricsLog, progressBar, type TrainingBatch } from '@xclr/training';
import type { RunConfig } from '../config/schema.js';
import { writeRunReport } from './report.js';
import { writeJson } from './run-dir.js';
import { architecture, retrievalInputs, setUpRun, useConfiguredBackend } from './setup.js';

export interface TrainOptions {
  /** Continue the run in `runDir` from its `last` checkpoint. */
  resume?: boolean;
  /** Aborting saves a checkpoint after the current step and stops (Ctrl-C, SIGTERM). */
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/** What `xclr train` reports and writes to summary.json (see `summarize`). */
export type Summary = ReturnType<typeof summarize>;

/** What the run's batches depend on: a resume with other values could not continue exactly. */
function fingerprint(config: RunConfig) {
  const { seed } = config;
  const { batchSize } = config.train;
  const { dataset, fraction, augment, trainSplit, synth, imageSize } = config.data;
  return { seed, batchSize, data: { dataset, fraction, augment, trainSplit, synth, imageSize } };
}

/** Trains with @xclr/training's `fit`, evaluates with @xclr/eval, writes the run directory; `null` when stopped early. */
export async function runTraining(config: RunConfig, runDir: string, options: TrainOptions = {}): Promise<Summary | null> {
  const started = performance.now();
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const choice = await useConfiguredBackend(config, log);
  const parts = await setUpRun(config, log);
  const { data, classGraph, model, objective, numClasses, captions } = parts;
  const { train, test, extraTests, trainIndices, skipped } = data;
  const embed = (x: Parameters<typeof model.embed>[0]) => model.embed(x, config.eval.features);
  const loader = new ContrastiveLoader(train, {
    batchSize: config.train.batchSize,
    seed: config.seed,
    augment: config.data.augment === 'simclr' ? simclrAugment(train.channels) : NO_AUGMENT,
    indices: trainIndices,
  });
  // The CLIP projection tower reads each sample's frozen caption embedding.
  const batches: DataSource<Batch & TrainingBatch> =
    captions && objective.needs.includes('captionEmbeddings')
      ? mapBatches(loader, (b) => ({ ...b, captionEmbeddings: batchRows(captions.rows, captions.dim, b.indices) }))
      : loader;
  const ckptDir = path.join(runDir, 'checkpoints');
  try {
    const result = await fit({
      objective,
      data: batches,
      optimizer: fusedAdam(config.train.learningRate),
      epochs: config.train.epochs,
      maxSteps: config.train.maxSteps,
      clipNorm: config.train.clipNorm,
      logEvery: config.train.logEvery,
      // A small held-out kNN on training images picks the `best` checkpoint without touching the test set.
      validate: () => heldOutKnn(embed, train, { numClasses }),
      checkpoint: { dir: ckptDir, every: config.train.checkpointEvery, architecture: architecture(config) },
      resume: options.resume,
      fingerprint: fingerprint(config),
      signal: options.signal,
      disposeBatch,
      callbacks: [
        {
          // After a resume was accepted: a refused one leaves the saved config as it was.
          onTrainBegin: (context) => {
            writeJson(path.join(runDir, 'config.resolved.json'), config);
            if (parts.graph) writeJson(path.join(runDir, 'graph.json'), parts.graph);
            const { step, epoch, stepInEpoch } = context.state;
            if (step > 0) log(`resumed at step ${step} (epoch ${epoch + 1}, batch ${stepInEpoch})`);
          },
        },
        progressBar({ label: config.name }),
        metricsLog(path.join(runDir, 'metrics.jsonl'), {
          every: config.train.logEvery,
          validationName: 'valKnnTop1',
          stepFields: { lr: config.train.learningRate },
        }),
      ],
    });
    if (result.stopped) {
      log(
        `${result.reason}: stopped at step ${result.state.step}; checkpoint saved to ${path.join(ckptDir, 'last')}; resume with: xclr train --resume ${runDir}`,
      );
      return null;
    }
    const evalResult = evaluateEncoder({
      embed,
      train,
      test,
      extraTests,
      ...config.eval,
      numClasses,
      targetGraph: classGraph?.similarity ?? null,
      retrieval: await retrievalInputs(config, parts, log), // CLIP runs: image ↔ caption retrieval
      cacheDir: defaultCacheDir(),
      log,
    });
    const k = headlineK(config.eval.knnK);
    const summary = summarize(config, evalResult, choice, result, (performance.now() - started) / 1000);
    writeJson(path.join(runDir, 'summary.json'), summary);
    writeJson(path.join(runDir, 'eval.json'), { ...evalResult, skipped });
    const csv = [
      'encoder,knn_k,knn_top1,linear_top1,linear_top5',
      `${config.name},${k},${summary.knnTop1},${summary.linearTop1},${summary.linearTop5}`,
      `raw pixels,${k},${summary.baselineKnnTop1},${summary.baselineLinearTop1},${evalResult.baselineLinear.top5}`,
    ];
    writeFileAtomic(path.join(runDir, 'summary.csv'), `${csv.join('\n')}\n`);
    await writeRunReport(runDir);
    return summary;
  } finally {
    model.dispose();
    objective.dispose();
  }
}

/** Encoder and raw-pixel accuracy at the headline k, with backend, time and throughput. */
function summarize(config: RunConfig, e: EvalResult, choice: BackendChoice, fitted: FitResult, seconds: number) {
  const k = headlineK(config.eval.knnK);
  return {
    name: config.name,
    loss: config.loss.type,
    knnTop1: e.knn[k],
    linearTop1: e.linear.top1,
    linearTop5: e.linear.top5,
    baselineKnnTop1: e.baselineKnn[k],
    baselineLinearTop1: e.baselineLinear.top1,
    knn: e.knn,
    baselineKnn: e.baselineKnn,
    graphCorrelation: e.graphCorrelation,
    /** Background-shift test splits (synthetic set). */
    splits: Object.keys(e.splits).length ? e.splits : undefined,
    /** Image ↔ caption recall@k on the test set (CLIP runs). */
    retrieval: e.retrieval,
    backend: choice.backend,
    threads: choice.threads,
    /** The native engine behind wasm's large matmuls and convolutions, or null. */
    native: choice.native,
    seconds,
    trainSeconds: fitted.trainSeconds,
    samplesPerSecond: Math.round(fitted.samplesPerSecond),
    steps: fitted.state.step,
    epochs: fitted.state.epoch,
  };
}

/** The table `xclr train` ends with. */
export function summaryTable(summary: Summary, k: number): string {
  const pct = (v: number) => `${(100 * v).toFixed(2)}%`.padStart(9);
  const rows = [
    `${'features'.padEnd(28)}${`kNN@${k}`.padStart(9)}  ${'linear'.padStart(9)}`,
    `${'raw pixels'.padEnd(28)}${pct(summary.baselineKnnTop1)}  ${pct(summary.baselineLinearTop1)}`,
    `${`${summary.name} encoder`.padEnd(28)}${pct(summary.knnTop1)}  ${pct(summary.linearTop1)}`,
  ];
  for (const [split, r] of Object.entries(summary.splits ?? {})) {
    rows.push(`${`  ${split}: raw pixels`.padEnd(28)}${pct(r.baselineKnnTop1)}  ${pct(r.baselineLinearTop1)}`);
    rows.push(`${`  ${split}: encoder`.padEnd(28)}${pct(r.knnTop1)}  ${pct(r.linearTop1)}`);
  }
  if (summary.retrieval) {
    const r = summary.retrieval;
    rows.push(
      `retrieval R@1/5/10: image→text ${[1, 5, 10].map((k) => pct(r.imageToText[k]).trim()).join(' ')}, text→image ${[1, 5, 10].map((k) => pct(r.textToImage[k]).trim()).join(' ')}`,
    );
  }
  return rows.join('\n');
}
