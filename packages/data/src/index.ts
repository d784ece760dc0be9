export { type AugmentConfig, augmentBatch, NO_AUGMENT, sampleCropBoxes, simclrAugment } from './augment.js';
export { defaultCacheDir, writeFileAtomic } from './cache.js';
export { describeDataSources } from './environment.js';
export { type ImageDataset, imageAt, subsetOf } from './dataset.js';
export { type ManifestOptions, readCaptionManifest } from './manifest.js';
export {
  DATASET_NAMES,
  type DatasetName,
  type DatasetSpec,
  type OpenDatasetOptions,
  type OpenedDataset,
  openDataset,
  type StreamedSplit,
  type TrainingBatchesOptions,
  trainingBatches,
} from './open-dataset.js';
export type { NeighborBatches } from './neighbors.js';
export { MissingOptionalPackageError } from './optional.js';
export { type RecordRow, readRecords } from './records.js';
export { encodeIdx, type IdxArray, parseIdx } from './idx.js';
export { type Batch, ContrastiveLoader, disposeBatch, type LoaderOptions } from './loader.js';
export {
  DEBIAN_FASHION_MNIST_DIR,
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DESCRIPTIONS,
  type LoadMnistOptions,
  loadMnistFamily,
  MNIST_CLASSES,
  MNIST_DESCRIPTIONS,
  type MnistFamily,
  type Split,
} from './mnist-family.js';
export { Rng } from './rng.js';
export { classBalancedSubset } from './subset.js';
export {
  BACKGROUND_CORRELATION,
  classBackground,
  composeImage,
  generateSynthetic,
  SYNTH_BACKGROUNDS,
  SYNTH_COLORS,
  type SynthBackground,
  type SynthOptions,
  type SynthSample,
  type SynthSplit,
  synthSamples,
  writeWebDataset,
} from './synth.js';
export {
  DEFAULT_SYNTH,
  SYNTH_COMPLETE_MARKER,
  SYNTH_SPLITS,
  SYNTH_TEST_SPLITS,
  SYNTH_V2_SPLITS,
  SYNTH_V2_TEST_SPLITS,
  type SynthSize,
  type SynthVersion,
  synthDir,
  synthSplits,
  type WriteSynthOptions,
  writeSynthSplits,
} from './synth-splits.js';
export {
  SYNTH_V2_ATTRIBUTE_NAMES,
  SYNTH_V2_ATTRIBUTES,
  SYNTH_V2_OBJECT_SIDES,
  SYNTH_V2_TEXTURE_DARK,
  type SynthV2Attribute,
  type SynthV2Sample,
  type SynthV2Split,
  synthV2Samples,
} from './synth-v2.js';
export {
  CaptionStream,
  indexCaptionManifest,
  indexWebDataset,
  type ManifestStreamOptions,
  type StreamBatch,
  type StreamIndex,
  type StreamOptions,
  type StreamRecord,
  type StreamSkip,
  type StreamStats,
  streamCaptionManifest,
  streamWebDataset,
} from './stream.js';
export { readTar, TAR_END, TarFileReader, type TarEntryInfo, TruncatedTarError, tarEntry } from './tar.js';
export { type CaptionedReadReport, decodeImage, readWebDataset } from './webdataset.js';
