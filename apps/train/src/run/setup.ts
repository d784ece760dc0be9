import { type BackendChoice, describeBackend, useFastestBackend } from '@xclr/backend';
import { defaultCacheDir, type OpenedDataset, openDataset } from '@xclr/data';
import {
  type CaptionEmbeddings,
  type CaptionedSplit,
  type ClassSimilarity,
  classGraphFrom,
  classTargets,
  embeddingTargets,
  type SampleTopKGraph,
  splitCaptionEmbeddings,
  topKGraphForKeys,
  topKTargets,
} from '@xclr/graph';
import { ContrastiveModel } from '@xclr/models';
import {
  type BatchTargets,
  type ClipTextTower,
  createObjective,
  type Objective,
  type ObjectiveOptionsByName,
  type TrainingBatch,
} from '@xclr/training';
import type { RunConfig } from '../config/schema.js';

export interface RunParts {
  data: OpenedDataset;
  numClasses: number;
  /** The class graph, as built (graph.json stores it). */
  classGraph: (ClassSimilarity & { from: string }) | null;
  captions: CaptionEmbeddings | null;
  /** The samples' top-k graph (`loss.graph: topk`): targets, and neighbours for `data.neighbors`. */
  topk: SampleTopKGraph | null;
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
export const captionEmbeddings = ({ loss }: RunConfig, split: CaptionedSplit, log: (line: string) => void) =>
  splitCaptionEmbeddings(split, { file: loss.captionEmbeddings, encoder: loss.textEncoder, cacheDir: defaultCacheDir(), log });

/** Everything a run trains or evaluates: data, target graph, caption embeddings, model and objective. */
export async function setUpRun(config: RunConfig, log: (line: string) => void): Promise<RunParts> {
  const trainSample = config.eval.trainSize || undefined; // a streamed split decodes this many images for evaluation
  const data = await openDataset(config.data, { seed: config.seed, cacheDir: defaultCacheDir(), log, trainSample });
  const { train, test, trainIndices, streamed, numClasses } = data;
  const all = streamed ?? train; // every training sample's keys, captions and labels
  log(`data: ${train.name} (${trainIndices.length} of ${all.size} images, ${train.source}), ${test.name} (${test.size})`);
  const { type, graph: graphSource, graphFile: file, textEncoder: encoder } = config.loss;

  // X-CLR, and VICReg / Barlow Twins in their graph forms, train against a class or caption graph.
  const usesGraph = type === 'xclr' || Boolean(config.loss.graphForm);
  const classOptions = { ...train, classNames: train.classNames ?? [], file, encoder, cacheDir: defaultCacheDir() };
  const sampleGraph = graphSource === 'captions' || graphSource === 'topk';
  const classGraph = usesGraph && !sampleGraph ? await classGraphFrom(graphSource, classOptions) : null;
  if (classGraph) log(`graph: ${numClasses} classes from ${graphSource} with ${classGraph.from}`);
  if (type === 'clip' && !all.captions) throw new Error(`loss clip needs captions; ${train.name} has none`);
  const tower = config.model.textTower ?? { type: 'projection' as const };
  const usesCaptionEmbeddings = (usesGraph && graphSource === 'captions') || (type === 'clip' && tower.type === 'projection');
  const captions = usesCaptionEmbeddings ? await captionEmbeddings(config, all, log) : null;
  if (captions) log(`graph: ${captions.unique} distinct captions embedded with ${captions.encoder} (${captions.dim}-d)`);
  // A top-k graph file of the samples (xclr graph topk), its rows found by key in the embeddings file it was built from.
  const embeddings = config.loss.captionEmbeddings;
  if (graphSource === 'topk' && !(file && embeddings && all.ids))
    throw new Error('loss.graph topk: set loss.graphFile (a top-k file) and loss.captionEmbeddings (the file it was built from)');
  const topk = graphSource === 'topk' ? await topKGraphForKeys(file!, embeddings!, all.ids!) : null;
  if (topk) log(`graph: top-${topk.k} neighbours of ${all.size} samples from ${file} (${topk.outside} outside the split)`);
  if (config.data.neighbors && !topk) throw new Error('data.neighbors: the neighbours come from loss.graph topk; set it');

  const head = type === 'supervised' ? null : config.model.head;
  const model = new ContrastiveModel({ encoder: config.model.encoder, head }, config.seed);
  // X-CLR's targets by sample index (top-k graph, captions) or label (class graph), in a batch and against a queue.
  const graph = topk ? topKTargets(topk) : captions ? embeddingTargets(captions) : classGraph && classTargets(classGraph);
  const of = (b: TrainingBatch) => graph!.batch(b[graph!.key]!);
  const targets: BatchTargets | null = graph && { needs: [graph.key], key: graph.key, of, between: graph.between };
  const textTower: ClipTextTower =
    tower.type === 'projection'
      ? { type: 'projection', inputDim: captions?.dim ?? 0 }
      : { ...tower, vocabularyFrom: all.captions ?? [] };
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
  return { data, numClasses, classGraph, captions, topk, model, objective };
}

/** The retrieval inputs of a CLIP run's test set (null for image-only losses). */
export async function retrievalInputs(config: RunConfig, parts: RunParts, log: (line: string) => void) {
  const { objective, data, captions, model } = parts;
  if (!objective.embedText || !data.test.captions) return null;
  // A LiT-style tower reads frozen caption embeddings; the small tower reads the words.
  const rows = captions ? (await captionEmbeddings(config, data.test, log)).rows : null;
  return { embedImages: (x: Parameters<typeof model.embed>[0]) => model.embed(x, 'head'), embedText: objective.embedText, rows };
}
