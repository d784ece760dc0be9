import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '@xclr/data';
import {
  evalFeatureSets,
  evalIndices,
  extractFeatures,
  features as featureRows,
  headlineK,
  knnBySplit,
  labelKindsOf,
  linearBySplit,
  retrievalScores,
  similarityByGroup,
} from '@xclr/eval';
import { loadCheckpoint } from '@xclr/models/checkpoint';
import { readRunConfig } from '../config/overrides.js';
import { architecture, captionEmbeddings, retrievalInputs, setUpRun, useConfiguredBackend } from '../run/setup.js';

export type EvalKind = 'knn' | 'linear' | 'retrieval' | 'similarity';

export interface EvalCommandOptions {
  /** Default: `best` when the run saved one (at an epoch's end), else `last`. */
  checkpoint?: 'best' | 'last';
  /** `similarity`: the split (default `attributes` when the data has it, else `test`). */
  split?: string;
  json: boolean;
  out: (line: string) => void;
  log: (line: string) => void;
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
const row = (name: string, cells: string[]) => [name.padEnd(12), ...cells.map((c) => c.padStart(9))].join('');

/**
 * `xclr eval knn|linear|retrieval RUN_DIR`: reloads a run's config and checkpoint and evaluates the
 * encoder alone (no training, no raw-pixel baseline), writing `eval-<kind>-<checkpoint>.json` into
 * the run directory.
 */
export async function evalCommand(kind: EvalKind, runDir: string, o: EvalCommandOptions): Promise<Record<string, unknown>> {
  const config = readRunConfig(runDir);
  const has = (name: string) => fs.existsSync(path.join(runDir, 'checkpoints', name, 'manifest.json'));
  const which = o.checkpoint ?? (has('best') ? 'best' : 'last');
  const ckpt = path.join(runDir, 'checkpoints', which);
  if (!has(which)) throw new Error(`${ckpt}: no checkpoint (train the run first, or pick --checkpoint last|best)`);
  await useConfiguredBackend(config, o.log);
  const parts = await setUpRun(config, o.log);
  const { model, objective, data, numClasses } = parts;
  try {
    if (kind === 'retrieval' && !objective.embedText)
      throw new Error(
        `${runDir}: retrieval needs a run with a text tower (loss clip); this run was trained with ${config.loss.type}`,
      );
    const manifest = await loadCheckpoint(ckpt, { architecture: architecture(config), variables: objective.variables });
    const { knnK: ks, linearEpochs, features } = config.eval;
    const embed = (x: Parameters<typeof model.embed>[0]) => model.embed(x, features);
    let result: Record<string, unknown>;
    let lines: string[];
    if (kind === 'similarity') {
      // Learned vs caption similarity by value of the object and of each attribute, on one split.
      const split = o.split ?? (data.extraTests.attributes ? 'attributes' : 'test');
      const images = split === 'test' ? data.test : data.extraTests[split];
      if (!images) throw new Error(`${runDir}: no split "${split}" (${['test', ...Object.keys(data.extraTests)].join(', ')})`);
      if (!images.captions)
        throw new Error(`${runDir}: similarity compares with caption embeddings; ${images.name} has no captions`);
      const idx = evalIndices(images, config.eval.testSize);
      const captions = await captionEmbeddings(config, images, o.log);
      const picked = new Float32Array(idx.length * captions.dim);
      idx.forEach((i, k) => {
        picked.set(captions.rows.subarray(i * captions.dim, (i + 1) * captions.dim), k * captions.dim);
      });
      const target = featureRows(picked, captions.dim, `${images.name} caption embeddings`);
      const kinds = similarityByGroup(await extractFeatures(embed, images, idx), target, labelKindsOf(images, idx));
      result = { split, rows: idx.length, textEncoder: captions.encoder, kinds };
      lines = Object.entries(kinds).map(
        ([name, g]) =>
          `${name.padEnd(12)}${String(g.values).padStart(3)} values  Pearson ${g.pearson.toFixed(3)}  Spearman ${g.spearman.toFixed(3)}`,
      );
    } else if (kind === 'retrieval') {
      const idx = evalIndices(data.test, config.eval.testSize); // the rows evaluateEncoder scored
      const r = await retrievalScores(data.test, idx, (await retrievalInputs(config, parts, o.log))!);
      result = { ...r, testSize: idx.length };
      lines = [1, 5, 10].map((k) => `R@${k}  image→text ${pct(r.imageToText[k])}  text→image ${pct(r.textToImage[k])}`);
    } else if (kind === 'knn') {
      const sets = await evalFeatureSets({ ...config.eval, ...data, numClasses, embed });
      const knn = await knnBySplit(sets, ks);
      result = { knn, headlineK: headlineK(ks) };
      const header = ks.map((k) => `k=${k}`);
      const perSplit = Object.entries(knn).map(([split, acc]) => [split, ks.map((k) => pct(acc[k]))] as const);
      lines = [row('split', header), ...perSplit.map(([split, cells]) => row(split, cells))];
    } else {
      const sets = await evalFeatureSets({ ...config.eval, ...data, numClasses, embed });
      const probe = await linearBySplit(sets, linearEpochs);
      result = { linear: probe };
      lines = [
        `test        top-1 ${pct(probe.top1)}  top-5 ${pct(probe.top5)}  (weight decay ${probe.weightDecay}, step ${probe.epoch})`,
        ...Object.entries(probe.splits).map(([name, r]) => `${name.padEnd(12)}top-1 ${pct(r.top1)}  top-5 ${pct(r.top5)}`),
      ];
    }
    const record = { kind, checkpoint: which, step: manifest.step, features, ...result };
    writeFileAtomic(path.join(runDir, `eval-${kind}-${which}.json`), `${JSON.stringify(record, null, 2)}\n`);
    const title = `${kind} of ${config.name} (${which} checkpoint, step ${manifest.step}, ${features} features)`;
    o.out(o.json ? JSON.stringify(record) : [title, ...lines].join('\n'));
    return record;
  } finally {
    model.dispose();
    objective.dispose();
  }
}
