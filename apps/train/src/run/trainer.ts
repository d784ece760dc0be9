import path from 'node:path';
import type { BackendChoice } from '@xclr/backend';
import { type Batch, defaultCacheDir, disposeBatch, trainingBatches, writeFileAtomic } from '@xclr/data';
import { type EvalResult, evaluateEncoder, headlineK, headlineScores, heldOutKnn, scoreCsv } from '@xclr/eval/protocol';
import { batchRows } from '@xclr/graph';
import { fusedAdam } from '@xclr/kernels';
import { type DataSource, type FitResult, fit, mapBatches, metricsLog, progressBar, type TrainingBatch } from '@xclr/training';
import type { RunConfig } from '../config/schema.js';
import { writeJson, writeRunReport } from './run-dir.js';
import { architecture, retrievalInputs, setUpRun, useConfiguredBackend } from './setup.js';

export interface TrainOptions {
  resume?: boolean; // from the run directory's `last` checkpoint
  signal?: AbortSignal; // aborting saves a checkpoint after the current step and stops (Ctrl-C, SIGTERM)
  log?: (line: string) => void;
}

/** What `xclr train` reports and writes to summary.json (see `summarize`). */
export type Summary = ReturnType<typeof summarize>;

/** What the run's batches depend on: a resume with other values could not continue exactly. */
function fingerprint({ seed, train, data }: RunConfig, samples: number) {
  const { dataset, fraction, augment, trainSplit, synth, imageSize, stream, shuffleBuffer, neighbors } = data;
  const batches = { dataset, fraction, augment, trainSplit, synth, imageSize, stream, shuffleBuffer, neighbors, samples };
  return { seed, batchSize: train.batchSize, data: batches };
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
  const { neighbors: count, augment } = config.data;
  const neighbors = count ? { graph: parts.topk!, count } : undefined; // batches fill up with anchors' graph neighbours
  const loader = await trainingBatches(data, { batchSize: config.train.batchSize, seed: config.seed, augment, neighbors });
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
      ...config.train, // epochs, maxSteps, clipNorm, logEvery, chunkSize, validateEvery
      // A small held-out kNN on training images picks the `best` checkpoint without touching the test set.
      validate: () => heldOutKnn(embed, train, { numClasses }),
      checkpoint: { dir: ckptDir, every: config.train.checkpointEvery, architecture: architecture(config) },
      resume: options.resume,
      fingerprint: fingerprint(config, trainIndices.length),
      signal: options.signal,
      disposeBatch,
      callbacks: [
        {
          // After a resume was accepted: a refused one leaves the saved config as it was.
          onTrainBegin: (context) => {
            writeJson(path.join(runDir, 'config.resolved.json'), config);
            const g = parts.classGraph;
            if (g)
              writeJson(path.join(runDir, 'graph.json'), {
                encoder: g.from,
                ...g,
                embeddings: undefined,
                similarity: [...g.similarity],
              });
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
    const evalResult = await evaluateEncoder({
      embed,
      train,
      test,
      extraTests,
      ...config.eval,
      numClasses,
      targetGraph: classGraph?.similarity ?? null,
      retrieval: await retrievalInputs(config, parts, log), // CLIP runs: image ↔ caption retrieval
      // synth v2: linear probes of the object and each attribute on a random half of its attributes split
      attributeSplit: extraTests.attributes?.attributes ? 'attributes' : undefined,
      attributeSeed: config.seed,
      cacheDir: defaultCacheDir(),
      log,
    });
    const summary = summarize(config, evalResult, choice, result, (performance.now() - started) / 1000);
    writeJson(path.join(runDir, 'summary.json'), summary);
    writeJson(path.join(runDir, 'eval.json'), { ...evalResult, skipped });
    writeFileAtomic(path.join(runDir, 'summary.csv'), scoreCsv(config.name, summary, headlineK(config.eval.knnK)));
    await writeRunReport(runDir);
    return summary;
  } finally {
    model.dispose();
    objective.dispose();
  }
}

/** The headline scores with backend, time and throughput: summary.json. */
function summarize(config: RunConfig, e: EvalResult, choice: BackendChoice, fitted: FitResult, seconds: number) {
  const { backend, threads, native } = choice; // native: the engine behind wasm's large products, or null
  const { trainSeconds, state } = fitted;
  const samplesPerSecond = Math.round(fitted.samplesPerSecond);
  return {
    name: config.name,
    loss: config.loss.type,
    ...headlineScores(e, config.eval.knnK),
    backend,
    threads,
    native,
    seconds,
    trainSeconds,
    samplesPerSecond,
    steps: state.step,
    epochs: state.epoch,
  };
}
