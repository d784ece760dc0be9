export {
  type BarlowTwinsGraphLossOptions,
  type BarlowTwinsLossOptions,
  barlowTwinsDefinition,
  barlowTwinsGraphDefinition,
  barlowTwinsGraphLoss,
  barlowTwinsLoss,
} from './barlow-twins.js';
export { type ClipLossOptions, clipDefinition, clipLoss } from './clip.js';
export {
  type LayersLoss,
  clipLayersLoss,
  layersTargets,
  ntXentLayersLoss,
  supConLayersLoss,
  xclrLayersLoss,
} from './layers.js';
export {
  type ContextKey,
  defineLoss,
  type LossContext,
  type LossDefinition,
  type PairLoss,
  type ProvidedContext,
} from './loss-definition.js';
export { l2Normalize } from './normalize.js';
export { type NtXentLossOptions, ntXentDefinition, ntXentLoss } from './nt-xent.js';
export { type NtXentQueueLossOptions, ntXentQueueLoss } from './nt-xent-queue.js';
export type { LossQueue } from './queue.js';
export { createLoss, LOSS_NAMES, LOSSES, type LossDefinitionOf, type LossName, type LossOptions } from './registry.js';
export {
  FUSED_SOFT_TARGET_KERNEL,
  MASKED_LOGIT,
  maskedSoftmax,
  type SoftTargetCrossEntropyOptions,
  softTargetCrossEntropy,
} from './soft-target-cross-entropy.js';
export type { SampleGraphOptions } from './sample-graph.js';
export { type SupConLossOptions, supConDefinition, supConLoss } from './supcon.js';
export { type SupConQueueLossOptions, supConQueueLoss } from './supcon-queue.js';
export { type XclrLossOptions, xclrDefinition, xclrLoss, xclrTargets } from './xclr.js';
export { type XclrQueueLossOptions, xclrQueueLoss, xclrQueueTargets } from './xclr-queue.js';
export {
  type VicregGraphLossOptions,
  type VicregLossOptions,
  vicregDefinition,
  vicregGraphDefinition,
  vicregGraphLoss,
  vicregLoss,
} from './vicreg.js';
