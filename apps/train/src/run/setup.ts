import { type BackendChoice, describeBackend, useFastestBackend } from '@xclr/backend';
import { defaultCacheDir, type ImageDataset, type OpenedDataset, openDataset } from '@xclr/data';
import {
  batchSimilarityFromClasses,
  batchSimilarityFromEmbeddings,
  type CaptionEmbeddings,
  captionEmbeddingsFromFile,
  type ClassSimilarity,
  classGraphFrom,
  embedDatasetCaptions,
} from '@xclr/graph';
import { ContrastiveModel } from '@xclr/models';
import {
  type BatchTargets,
  type ClipTextTower,
  createObjective,
  type Objective,
  type ObjectiveOptionsByName,
} from '@xclr/training';
import type { RunConfig } from '../config/schema.js';

export interface RunParts {
  data: OpenedDataset;
  numClasses: number;
  /** The class graph, as built (graph.json stores it). */
  classGraph: (ClassSimilarity & { from: string }) | null;
  captions: CaptionEmbeddings | null;
  model: ContrastiveModel;
  objective: Objective;
}

/** The config's tfjs backend, logged as `describeBackend` says it. */
export async function useConfiguredBackend(config: RunConfig, log: (line: string) => void): Promise<BackendChoice> {
  const { name, threads, native } = config.backend;
  const choice = await useFastestBackend({ backend: name, threads, native });
  log(describeBackend(choice));
  return choice;
}

/** What a checkpoint must match to be loaded into a config's model. */
export function architecture(config: RunConfig) {
  return {
    model: config.model,
    loss: config.loss.type,
    dataset: config.data.dataset,
    graph: config.loss.type === 'xclr' || config.loss.graphForm ? config.loss.graph : undefined,
  };
}

/** Per-sample caption embeddings of a split: from the configured file (by sample key) or the configured encoder. */
async function captionEmbeddings(
  config: RunConfig,
  split: ImageDataset,
  log: (line: string) => void,
): Promise<CaptionEmbeddings> {
  const file = config.loss.captionEmbeddings;
  if (file) {
    if (!split.ids) throw new Error(`loss.captionEmbeddings: ${split.name} has no sample keys to look the embeddings up by`);
    return captionEmbeddingsFromFile(file, split.ids);
  }
  if (!split.captions)
    throw new Error(`loss ${config.loss.type} with caption embeddings needs a captioned dataset; ${split.name} has no captions`);
  return embedDatasetCaptions(split.captions, { encoder: config.loss.textEncoder, cacheDir: defaultCacheDir(), log });
}

/** Everything a run trains or evaluates: data, target graph, caption embeddings, model and objective. */
export async function setUpRun(config: RunConfig, log: (line: string) => void): Promise<RunParts> {
  const data = await openDataset(config.data, { seed: config.seed, cacheDir: defaultCacheDir(), log });
  const { train, test, trainIndices } = data;
  log(`data: ${train.name} (${trainIndices.length} of ${train.size} images, ${train.source}), ${test.name} (${test.size})`);
  const numClasses = train.classNames?.length ?? Math.max(...(train.labels ?? [1])) + 1;
  const { type, graph: graphSource, graphFile: file, textEncoder: encoder } = config.loss;

  // X-CLR, and VICReg / Barlow Twins in their graph forms, train against a class or caption graph.
  const usesGraph = type === 'xclr' || Boolean(config.loss.graphForm);
  const classOptions = { ...train, classNames: train.classNames ?? [], file, encoder, cacheDir: defaultCacheDir() };
  const classGraph = usesGraph && graphSource !== 'captions' ? await classGraphFrom(graphSource, classOptions) : null;
  if (classGraph) log(`graph: ${numClasses} classes from ${graphSource} with ${classGraph.from}`);
  if (type === 'clip' && !train.captions) throw new Error(`loss clip needs captions; ${train.name} has none`);
  const tower = config.model.textTower ?? { type: 'projection' as const };
  const usesCaptionEmbeddings = (usesGraph && graphSource === 'captions') || (type === 'clip' && tower.type === 'projection');
  const captions = usesCaptionEmbeddings ? await captionEmbeddings(config, train, log) : null;
  if (captions) log(`graph: ${captions.unique} distinct captions embedded with ${captions.encoder} (${captions.dim}-d)`);

  const model = new ContrastiveModel(
    { encoder: config.model.encoder, head: type === 'supervised' ? null : config.model.head },
    config.seed,
  );
  // X-CLR's targets come from the caption graph (by sample index) or the class graph (by label).
  const targets: BatchTargets = captions
    ? { needs: ['indices'], of: (b) => batchSimilarityFromEmbeddings(captions.rows, captions.dim, b.indices!) }
    : { needs: ['labels'], of: (b) => batchSimilarityFromClasses(classGraph!, b.labels!) };
  const textTower: ClipTextTower =
    tower.type === 'projection'
      ? { type: 'projection', inputDim: captions?.dim ?? 0 }
      : { ...tower, vocabularyFrom: train.captions ?? [] };
  // Every objective reads the options it takes from one object.
  const options = {
    ...config.loss,
    model,
    weightDecay: config.train.weightDecay,
    seed: config.seed,
    numClasses,
    targets: usesGraph ? targets : undefined,
    textTower,
  };
  const objective = createObjective(type, options as ObjectiveOptionsByName[typeof type]);
  return { data, numClasses, classGraph, captions, model, objective };
}

/** The retrieval inputs of a CLIP run's test set (null for image-only losses). */
export async function retrievalInputs(config: RunConfig, parts: RunParts, log: (line: string) => void) {
  const { objective, data, captions, model } = parts;
  if (!objective.embedText || !data.test.captions) return null;
  // A LiT-style tower reads frozen caption embeddings; the small tower reads the words.
  const rows = captions ? (await captionEmbeddings(config, data.test, log)).rows : null;
  return { embedImages: (x: Parameters<typeof model.embed>[0]) => model.embed(x, 'head'), embedText: objective.embedText, rows };
}
