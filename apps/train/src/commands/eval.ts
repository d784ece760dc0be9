import fs from 'node:fs';
import path from 'node:path';
import { describeBackend, useFastestBackend } from '@xclr/backend';
import { writeFileAtomic } from '@xclr/data';
import { evalFeatureSets, headlineK, knnClassify, linearProbe, retrievalScores } from '@xclr/eval';
import { loadCheckpoint } from '@xclr/models';
import { validateConfig } from '../config/overrides.js';
import { architecture, retrievalInputs, setUpRun } from '../run/setup.js';

export type EvalKind = 'knn' | 'linear' | 'retrieval';

export interface EvalCommandOptions {
  /** Default: `best` when the run saved one (at an epoch's end), else `last`. */
  checkpoint?: 'best' | 'last';
  json: boolean;
  out: (line: string) => void;
  log: (line: string) => void;
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

/**
 * `xclr eval knn|linear|retrieval RUN_DIR`: reloads a run's config and checkpoint and evaluates the
 * encoder alone (no training, no raw-pixel baseline), writing `eval-<kind>-<checkpoint>.json` into
 * the run directory.
 */
export async function evalCommand(kind: EvalKind, runDir: string, o: EvalCommandOptions): Promise<Record<string, unknown>> {
  const configFile = path.join(runDir, 'config.resolved.json');
  if (!fs.existsSync(configFile)) throw new Error(`${runDir}: not a run directory (no config.resolved.json)`);
  const config = validateConfig(JSON.parse(fs.readFileSync(configFile, 'utf8')), configFile);
  const has = (name: string) => fs.existsSync(path.join(runDir, 'checkpoints', name, 'manifest.json'));
  const which = o.checkpoint ?? (has('best') ? 'best' : 'last');
  const ckpt = path.join(runDir, 'checkpoints', which);
  if (!has(which)) throw new Error(`${ckpt}: no checkpoint (train the run first, or pick --checkpoint last|best)`);
  o.log(describeBackend(await useFastestBackend({ backend: config.backend.name, threads: config.backend.threads, native: config.backend.native })));
  const parts = await setUpRun(config, o.log);
  try {
    if (kind === 'retrieval' && !parts.objective.embedText) {
      throw new Error(`${runDir}: retrieval needs a run with a text tower (loss clip); this run was trained with ${config.loss.type}`);
    }
    const manifest = await loadCheckpoint(ckpt, { architecture: architecture(config), variables: parts.objective.variables });
    const { train, test, extraTests } = parts.data;
    const { trainSize, testSize } = config.eval;
    const embed = (x: Parameters<typeof parts.model.embed>[0]) => parts.model.embed(x, config.eval.features);
    let result: Record<string, unknown>;
    const lines: string[] = [];
    if (kind === 'retrieval') {
      const inputs = await retrievalInputs(config, parts, o.log);
      const sets = evalFeatureSets({ embed, train, test, trainSize: 1, testSize });
      const r = retrievalScores(test, sets.test.idx, inputs as NonNullable<typeof inputs>);
      result = { ...r, testSize: sets.test.idx.length };
      for (const k of [1, 5, 10]) lines.push(`R@${k}  image→text ${pct(r.imageToText[k])}  text→image ${pct(r.textToImage[k])}`);
    } else {
      const sets = evalFeatureSets({ embed, train, test, extraTests, trainSize, testSize, numClasses: parts.numClasses });
      const all = { test: sets.test, ...sets.extra };
      if (kind === 'knn') {
        const ks = config.eval.knnK;
        const scores = Object.fromEntries(
          Object.entries(all).map(([name, s]) => [name, knnClassify(sets.train.f, sets.train.labels, s.f, s.labels, { ks, numClasses: sets.numClasses }).accuracy]),
        );
        result = { knn: scores, headlineK: headlineK(ks) };
        lines.push(['split'.padEnd(12), ...ks.map((k) => `k=${k}`.padStart(9))].join(''));
        for (const [name, acc] of Object.entries(scores)) lines.push([name.padEnd(12), ...ks.map((k) => pct(acc[k]).padStart(9))].join(''));
      } else {
        const probe = linearProbe(sets.train.f, sets.train.labels, sets.test.f, sets.test.labels, {
          epochs: config.eval.linearEpochs,
          numClasses: sets.numClasses,
          alsoEvaluate: Object.fromEntries(Object.entries(sets.extra).map(([name, s]) => [name, { features: s.f, labels: s.labels }])),
        });
        result = { linear: probe };
        lines.push(`test        top-1 ${pct(probe.top1)}  top-5 ${pct(probe.top5)}  (weight decay ${probe.weightDecay}, step ${probe.epoch})`);
        for (const [name, r] of Object.entries(probe.splits)) lines.push(`${name.padEnd(12)}top-1 ${pct(r.top1)}  top-5 ${pct(r.top5)}`);
      }
    }
    const record = { kind, checkpoint: which, step: manifest.step, features: config.eval.features, ...result };
    writeFileAtomic(path.join(runDir, `eval-${kind}-${which}.json`), `${JSON.stringify(record, null, 2)}\n`);
    o.out(o.json ? JSON.stringify(record) : [`${kind} of ${config.name} (${which} checkpoint, step ${manifest.step}, ${config.eval.features} features)`, ...lines].join('\n'));
    return record;
  } finally {
    parts.model.dispose();
    parts.objective.dispose();
  }
}
