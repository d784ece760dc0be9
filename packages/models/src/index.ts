// The root entry is browser-safe (no Node built-ins): checkpoints (node:fs) are the Node-only
// subpath `@xclr/models/checkpoint`.
export { type BatchNormalizationArgs, batchNormalization } from './batch-normalization-layer.js';
export {
  BATCH_NORM_APPLY_KERNEL,
  BATCH_NORM_GRAD_KERNEL,
  batchNormTraining,
  CHANNEL_MOMENTS_KERNEL,
  channelMoments,
} from './batch-norm-training.js';
export { type ChunkedStepOptions, chunkedEmbeddingStep, chunkedEmbeddingStepTensors } from './chunked-step.js';
export { ContrastiveModel, type ContrastiveModelConfig, isBatchDependent } from './contrastive-model.js';
export {
  createEncoder,
  createProjectionHead,
  ENCODER_TYPES,
  type EncoderConfig,
  encoderWidth,
  type ProjectionHeadConfig,
} from './encoders.js';
export { type Conv2DArgs, conv2d } from './conv2d-layer.js';
export { registerFusedConv2DGradient } from './fused-conv2d-gradient.js';
export { type MaxPooling2DArgs, maxPooling2d } from './max-pooling2d-layer.js';
export { LogitScale } from './logit-scale.js';
export {
  POOLED_CONV2D_BACKPROP_FILTER_KERNEL,
  POOLED_CONV2D_KERNEL,
  POOLED_CONV2D_KERNEL_MAX_CHANNELS,
  pooledConv2d,
} from './pooled-conv2d-layer.js';
export { applyReleasing } from './apply-releasing.js';
export { releaseTapeEarly } from './release-tape-early.js';
export { createTextProjection, SmallTextEncoder, type TextEncoderConfig, Vocabulary } from './text-towers.js';
export {
  readStep,
  readStepSync,
  SUM_OF_SQUARES_KERNEL,
  type StepResult,
  type StepTensors,
  type TrainStepOptions,
  trainStep,
  trainStepTensors,
} from './train-step.js';
