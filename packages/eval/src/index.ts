// The root entry is browser-safe (no Node built-ins): plots and HTML reports are
// `@xclr/eval/plots`, the cached evaluation protocol `@xclr/eval/protocol` and the training
// report `@xclr/eval/report`, all Node only.
export { type AttributeProbe, type AttributeProbeOptions, attributeProbes, randomHalves } from './attribute-probes.js';
export {
  type EmbedFn,
  type EvalImages,
  evalFeatureSets,
  evalIndices,
  evalRows,
  extractFeatures,
  type FeatureScores,
  type FeatureSetOptions,
  type FeatureSets,
  type HeldOutKnnOptions,
  headlineK,
  heldOutKnn,
  knnBySplit,
  type LabelledFeatures,
  labelKindsOf,
  labelsOf,
  linearBySplit,
  pixelRows,
  type RetrievalInputs,
  retrievalScores,
  scoreFeatureSets,
} from './encoder-eval.js';
export { type Features, features, l2NormalizeRows } from './features.js';
export { type KnnOptions, type KnnResult, knnClassify } from './knn.js';
export { type LinearProbeOptions, type LinearProbeResult, linearProbe } from './linear-probe.js';
export { type RetrievalResult, retrievalRecall } from './retrieval.js';
export {
  classSimilarity,
  type GroupSimilarity,
  graphCorrelation,
  pearson,
  similarityByGroup,
} from './similarity-structure.js';
