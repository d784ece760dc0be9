import { batchNormPerChannel } from '../ops/batch-norm.js';
import { composedKernel } from './kernel-config.js';

/** Batch norm over the last axis with per-channel scale and offset folded first. */
export const fusedBatchNormConfig = composedKernel('FusedBatchNorm', (call, inputs, attrs) =>
  batchNormPerChannel(call, inputs, attrs),
);
