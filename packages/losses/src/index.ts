export { type ClipLossOptions, clipLoss } from './clip.js';
export {
  type LayersLoss,
  clipLayersLoss,
  layersTargets,
  ntXentLayersLoss,
  supConLayersLoss,
  xclrLayersLoss,
} from './layers.js';
export { l2Normalize } from './normalize.js';
export { type NtXentLossOptions, ntXentLoss } from './nt-xent.js';
export {
  MASKED_LOGIT,
  maskedSoftmax,
  type SoftTargetCrossEntropyOptions,
  softTargetCrossEntropy,
} from './soft-target-cross-entropy.js';
export { type SupConLossOptions, supConLoss } from './supcon.js';
export { type XclrLossOptions, xclrLoss, xclrTargets } from './xclr.js';
