export {
  batchRows,
  batchSimilarityFromClasses,
  batchSimilarityFromEmbeddings,
  batchSimilarityFromTopK,
  identityGraph,
  sameLabelGraph,
} from './batch-targets.js';
export { CLASS_GRAPH_SOURCES, type ClassGraphFromOptions, type ClassGraphSource, classGraphFrom } from './class-graph-source.js';
export { buildClassGraph, type ClassGraph, type ClassSimilarity, cosineMatrix, DEFAULT_TEMPLATES } from './class-graph.js';
export {
  batchSimilarityFromLabelSets,
  type CoOccurrenceOptions,
  coOccurrenceClassGraph,
  type LabelSet,
} from './co-occurrence.js';
export { type ClassEdge, type EdgeListFileOptions, type EdgeListOptions, edgeListClassGraph, readEdgeListFile } from './edge-list.js';
export {
  FASHION_MNIST_TAXONOMY,
  readTaxonomyFile,
  type Taxonomy,
  type TaxonomyGraphOptions,
  taxonomyClasses,
  taxonomyClassGraph,
} from './taxonomy.js';
export {
  type CaptionEmbeddings,
  type CaptionedSplit,
  captionEmbeddingsFromFile,
  type EmbedDatasetCaptionsOptions,
  embedDatasetCaptions,
  splitCaptionEmbeddings,
} from './dataset-captions.js';
export {
  type CreateTextEncoderOptions,
  createTextEncoder,
  isTextEncoderName,
  parseTextEncoderName,
  TEXT_ENCODER_KINDS,
  type TextEncoderKind,
  type TextEncoderSpec,
} from './encoder-name.js';
export { describeTextEncoders } from './environment.js';
export { fileModelHandler } from './encoders/file-io.js';
export { createTransformersEncoder, DEFAULT_TRANSFORMERS_MODEL, type TransformersEncoderOptions } from './encoders/transformers.js';
export { type BuildTopKFileOptions, buildTopKFile, mergeTopKFiles, readClassNames, writeClassGraphFile } from './graph-files.js';
export { type EmbedTextFileOptions, type EmbedTextFileResult, embedTextFile } from './embed-file.js';
export { readTextRecords, type TextFields, type TextRecord } from './text-records.js';
export { bundledUseLiteDir, createUseLiteEncoder, type UseLiteOptions } from './encoders/use-lite.js';
export { UseTokenizer } from './encoders/use-tokenizer.js';
export { normalizeRows, type TextEncoder } from './text-encoder.js';
export {
  type EmbeddingsFile,
  readEmbeddingsFile,
  readTopKFile,
  readTopKShardFile,
  type TopKGraph,
  type TopKShardFile,
  writeEmbeddingsFile,
  writeTableAtomic,
  writeTopKFile,
  writeTopKShardFile,
} from './arrow-files.js';
export { type SampleTopKGraph, topKGraphForKeys } from './sample-topk.js';
export { similarityBetweenClasses, similarityBetweenEmbeddings, similarityBetweenTopK } from './similarity-between.js';
export { classTargets, embeddingTargets, type GraphTargets, topKTargets } from './graph-targets.js';
export { exactTopKOnnx, loadOnnxRuntime, type OnnxTopKOptions } from './onnx/topk-onnx.js';
export { computeTopK, type TopKEngine } from './topk-engine.js';
export { exactTopK, mergeTopKShards, parseShard, type TopKOptions, type TopKShard } from './topk.js';
export { type ResolvedShard, resolveShard, type ShardEnv } from './shards.js';
