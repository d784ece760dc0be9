import path from 'node:path';
import { type BackendChoice, describeBackend, fusedAdam, useFastestBackend } from '@xclr/backend';
import { ContrastiveLoader, disposeBatch, NO_AUGMENT, simclrAugment, writeFileAtomic } from '@xclr/data';
import { features, knnClassify } from '@xclr/eval';
import { loadCheckpoint, saveCheckpoint, trainStep } from '@xclr/models';
import type { RunConfig } from '../config/schema.js';
import { evalIndices } from './datasets.js';
import { type EvalResult, evaluateEncoder, extractFeatures } from './evaluate.js';
import { architecture, retrievalInputs, setUpRun } from './setup.js';
import { Progress } from './progress.js';
import { writeRunReport } from './report.js';
import { MetricsLog, writeJson } from './run-dir.js';

export interface TrainOptions {
  /** Continue the run in `runDir` from its `last` checkpoint. */
  resume?: boolean;
  /** Set to true (e.g. on Ctrl-C) to save a checkpoint and stop after the current step. */
  stop?: { requested: boolean };
  log?: (line: string) => void;
}

export interface Summary {
  name: string;
  loss: string;
  knnTop1: number;
  linearTop1: number;
  linearTop5: number;
  baselineKnnTop1: number;
  baselineLinearTop1: number;
  knn: Record<number, number>;
  baselineKnn: Record<number, number>;
  graphCorrelation?: { pearson: number; spearman: number };
  /** Background-shift test splits (synthetic set): kNN and linear top-1 of the encoder and of raw pixels. */
  splits?: Record<string, { knnTop1: number; linearTop1: number; baselineKnnTop1: number; baselineLinearTop1: number }>;
  /** Image → caption and caption → image recall@k on the test set (CLIP runs). */
  retrieval?: { imageToText: Record<number, number>; textToImage: Record<number, number> };
  backend: string;
  threads: number;
  /** The native engine behind wasm's large matmuls and convolutions (`onnxruntime-node 1.30.0`), or null. */
  native: string | null;
  seconds: number;
  trainSeconds: number;
  samplesPerSecond: number;
  steps: number;
  epochs: number;
}

/** The kNN k quoted as `knnTop1` (DINO's default, 20, when evaluated). */
export function headlineK(config: RunConfig): number {
  return config.eval.knnK.includes(20) ? 20 : config.eval.knnK[0];
}

/** Trains, checkpoints, evaluates and writes the run directory's outputs; `null` when stopped early. */
export async function runTraining(config: RunConfig, runDir: string, options: TrainOptions = {}): Promise<Summary | null> {
  const started = performance.now();
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const stop = options.stop ?? { requested: false };
  const choice: BackendChoice = await useFastestBackend({
    backend: config.backend.name,
    threads: config.backend.threads,
    native: config.backend.native,
  });
  log(describeBackend(choice));
  writeJson(path.join(runDir, 'config.resolved.json'), config);

  const parts = await setUpRun(config, log);
  const { data, classGraph, model, objective, numClasses } = parts;
  const { train, test, extraTests, trainIndices, skipped } = data;
  if (parts.graph) writeJson(path.join(runDir, 'graph.json'), parts.graph);
  const optimizer = fusedAdam(config.train.learningRate);
  const loader = new ContrastiveLoader(train, {
    batchSize: config.train.batchSize,
    seed: config.seed,
    augment: config.data.augment === 'simclr' ? simclrAugment(train.channels) : NO_AUGMENT,
    indices: trainIndices,
  });
  const metrics = new MetricsLog(path.join(runDir, 'metrics.jsonl'));
  const ckptDir = path.join(runDir, 'checkpoints');
  let step = 0;
  /** The next batch to train: a resumed run starts exactly there. */
  let position = { epoch: 0, stepInEpoch: 0 };
  let bestVal = -1;
  if (options.resume) {
    const manifest = await loadCheckpoint(path.join(ckptDir, 'last'), {
      architecture: architecture(config),
      variables: objective.variables,
      optimizer,
    });
    step = manifest.step;
    position = { epoch: manifest.epoch, stepInEpoch: manifest.state.stepInEpoch as number };
    bestVal = (manifest.state.bestVal as number) ?? -1;
    metrics.truncateAfter(step);
    log(`resumed at step ${step} (epoch ${position.epoch + 1}, batch ${position.stepInEpoch})`);
  }
  const save = (name: string) =>
    saveCheckpoint(path.join(ckptDir, name), {
      architecture: architecture(config),
      variables: objective.variables,
      optimizer,
      step,
      epoch: position.epoch,
      state: { stepInEpoch: position.stepInEpoch, bestVal, seed: config.seed },
    });

  // A small held-out kNN on training images picks the `best` checkpoint without touching the test set.
  const valBank = evalIndices(train, 5000);
  const valQueries = Int32Array.from(evalIndices(train, 1000), (i) => Math.min(train.size - 1, i + 1));
  const quickVal = () => {
    const bank = extractFeatures(model, train, valBank, config.eval.features);
    const q = extractFeatures(model, train, valQueries, config.eval.features);
    const dim = bank.length / valBank.length;
    const labelsOf = (idx: Int32Array) => Array.from(idx, (i) => train.labels![i]);
    return knnClassify(features(bank, dim), labelsOf(valBank), features(q, dim), labelsOf(valQueries), { ks: [20], numClasses })
      .accuracy[20];
  };

  const totalSteps = Math.min(config.train.maxSteps ?? Number.POSITIVE_INFINITY, config.train.epochs * loader.stepsPerEpoch);
  const trainStart = performance.now();
  const stepsAtStart = step;
  const progress = new Progress(config.name, totalSteps, process.stderr, 'steps');
  while (position.epoch < config.train.epochs && step < totalSteps && !stop.requested) {
    for await (const batch of loader.epoch(position.epoch, position.stepInEpoch)) {
      const t0 = performance.now();
      const { loss, gradNorm } = trainStep(objective.loss(batch), {
        optimizer,
        variables: objective.variables,
        clipNorm: config.train.clipNorm,
      });
      objective.afterStep();
      disposeBatch(batch);
      step++;
      position.stepInEpoch++;
      if (!Number.isFinite(loss))
        throw new Error(`loss became ${loss} at step ${step}; lower train.learningRate or check the data`);
      if (step % config.train.logEvery === 0 || step === totalSteps) {
        const samplesPerSecond = Math.round((config.train.batchSize * 1000) / (performance.now() - t0));
        const logitScale = objective.logitScale();
        metrics.append({
          kind: 'step',
          step,
          epoch: position.epoch + 1,
          loss,
          gradNorm,
          lr: config.train.learningRate,
          samplesPerSecond,
          ...(logitScale === null ? {} : { logitScale }),
        });
      }
      progress.update(
        step,
        `epoch ${position.epoch + 1}/${config.train.epochs} loss ${loss.toFixed(4)} lr ${config.train.learningRate}`,
      );
      if (stop.requested || step >= totalSteps) break;
      // Steps are synchronous: yield to the event loop so Ctrl-C (and timers) get handled.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (position.stepInEpoch < loader.stepsPerEpoch) break; // stopped inside the epoch
    position = { epoch: position.epoch + 1, stepInEpoch: 0 };
    const valKnnTop1 = quickVal();
    metrics.append({ kind: 'epoch', step, epoch: position.epoch, valKnnTop1, seconds: (performance.now() - started) / 1000 });
    if (valKnnTop1 > bestVal) {
      bestVal = valKnnTop1;
      await save('best');
    }
    await save('last');
  }
  if (!stop.requested) progress.done();
  await save('last');
  if (stop.requested) {
    log(`stopped at step ${step}; checkpoint saved to ${path.join(ckptDir, 'last')}; resume with: xclr train --resume ${runDir}`);
    model.dispose();
    objective.dispose();
    return null;
  }
  const trainSeconds = (performance.now() - trainStart) / 1000;

  const retrieval = await retrievalInputs(parts, log); // CLIP runs: image ↔ caption retrieval
  const evalResult: EvalResult = evaluateEncoder(config, model, train, test, classGraph?.similarity ?? null, log, {
    extraTests,
    retrieval,
  });
  const k = headlineK(config);
  const summary: Summary = {
    name: config.name,
    loss: config.loss.type,
    knnTop1: evalResult.knn[k],
    linearTop1: evalResult.linear.top1,
    linearTop5: evalResult.linear.top5,
    baselineKnnTop1: evalResult.baselineKnn[k],
    baselineLinearTop1: evalResult.baselineLinear.top1,
    knn: evalResult.knn,
    baselineKnn: evalResult.baselineKnn,
    graphCorrelation: evalResult.graphCorrelation,
    splits: Object.keys(evalResult.splits).length ? evalResult.splits : undefined,
    retrieval: evalResult.retrieval,
    backend: choice.backend,
    threads: choice.threads,
    native: choice.native,
    seconds: (performance.now() - started) / 1000,
    trainSeconds,
    samplesPerSecond: Math.round(((step - stepsAtStart) * config.train.batchSize) / Math.max(trainSeconds, 1e-9)),
    steps: step,
    epochs: position.epoch,
  };
  writeJson(path.join(runDir, 'summary.json'), summary);
  writeJson(path.join(runDir, 'eval.json'), { ...evalResult, skipped });
  const csv = [
    'encoder,knn_k,knn_top1,linear_top1,linear_top5',
    `${config.name},${k},${summary.knnTop1},${summary.linearTop1},${summary.linearTop5}`,
    `raw pixels,${k},${summary.baselineKnnTop1},${summary.baselineLinearTop1},${evalResult.baselineLinear.top5}`,
  ];
  writeFileAtomic(path.join(runDir, 'summary.csv'), `${csv.join('\n')}\n`);
  await writeRunReport(runDir);
  model.dispose();
  objective.dispose();
  return summary;
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
