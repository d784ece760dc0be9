import { defaultCacheDir } from '@xclr/data';
import { buildClassGraph, createUseLiteEncoder } from '@xclr/graph';
import { ContrastiveModel } from '@xclr/models';
import type { RunConfig } from '../config/schema.js';
import { type CaptionEmbeddings, embedDatasetCaptions } from './captions.js';
import { loadRunData, type RunData } from './datasets.js';
import { createObjective, type Objective } from './objective.js';

export interface RunParts {
  data: RunData;
  numClasses: number;
  classGraph: { similarity: Float32Array; numClasses: number } | null;
  /** The class graph as graph.json stores it. */
  graph: Record<string, unknown> | null;
  captions: CaptionEmbeddings | null;
  model: ContrastiveModel;
  objective: Objective;
}

/** What a checkpoint must match to be loaded into a config's model. */
export function architecture(config: RunConfig) {
  return {
    model: config.model,
    loss: config.loss.type,
    dataset: config.data.dataset,
    graph: config.loss.type === 'xclr' ? config.loss.graph : undefined,
  };
}

/** Everything a run trains or evaluates: data, target graph, caption embeddings, model and objective. */
export async function setUpRun(config: RunConfig, log: (line: string) => void): Promise<RunParts> {
  const data = await loadRunData(config, log);
  const { train, test, trainIndices } = data;
  log(`data: ${train.name} (${trainIndices.length} of ${train.size} images, ${train.source}), ${test.name} (${test.size})`);
  const numClasses = train.classNames?.length ?? Math.max(...(train.labels ?? [1])) + 1;

  let classGraph: RunParts['classGraph'] = null;
  let graph: RunParts['graph'] = null;
  if (config.loss.type === 'xclr' && config.loss.graph !== 'captions') {
    if (!train.classNames)
      throw new Error(`loss.graph=${config.loss.graph} needs class names; ${train.name} has none (use loss.graph=captions)`);
    const descriptions = config.loss.graph === 'class-descriptions' ? train.classDescriptions : undefined;
    const built = await buildClassGraph(() => createUseLiteEncoder(), train.classNames, {
      descriptions,
      cacheDir: defaultCacheDir(),
      encoderName: 'use-lite',
    });
    classGraph = { similarity: built.similarity, numClasses };
    graph = { ...built, embeddings: undefined, similarity: Array.from(built.similarity) };
    log(`graph: ${numClasses} classes from ${config.loss.graph} with ${built.encoder}`);
  }
  if (config.loss.type === 'clip' && !train.captions) throw new Error(`loss clip needs captions; ${train.name} has none`);
  const usesCaptionEmbeddings =
    (config.loss.type === 'xclr' && config.loss.graph === 'captions') ||
    (config.loss.type === 'clip' && (config.model.textTower?.type ?? 'projection') === 'projection');
  let captions: CaptionEmbeddings | null = null;
  if (usesCaptionEmbeddings) {
    if (!train.captions)
      throw new Error(
        `loss ${config.loss.type} with caption embeddings needs a captioned dataset; ${train.name} has no captions`,
      );
    captions = await embedDatasetCaptions(train.captions, log);
    log(`graph: ${captions.unique} distinct captions embedded with ${captions.encoder} (${captions.dim}-d)`);
  }
  const model = new ContrastiveModel(
    { encoder: config.model.encoder, head: config.loss.type === 'supervised' ? null : config.model.head },
    config.seed,
  );
  const objective = createObjective(config, model, { classGraph, captions, trainCaptions: train.captions ?? null, numClasses });
  return { data, numClasses, classGraph, graph, captions, model, objective };
}

/** The retrieval inputs of a CLIP run's test set (null for image-only losses). */
export async function retrievalInputs(parts: RunParts, log: (line: string) => void) {
  const { objective, data, captions } = parts;
  if (!objective.embedText || !data.test.captions) return null;
  // A LiT-style tower reads frozen caption embeddings; the small tower reads the words.
  const rows = captions ? (await embedDatasetCaptions(data.test.captions, log)).rows : null;
  return { captions: data.test.captions, rows, embedText: objective.embedText };
}
