import { fusedMatMulConfig } from './_FusedMatMul.js';
import { batchMatMulConfig } from './BatchMatMul.js';
import { castConfig } from './Cast.js';
import { concatConfig } from './Concat.js';
import { conv2dConfig } from './Conv2D.js';
import { conv2dBackpropFilterConfig } from './Conv2DBackpropFilter.js';
import { conv2dBackpropInputConfig } from './Conv2DBackpropInput.js';
import { equalConfig } from './Equal.js';
import { fusedBatchNormConfig } from './FusedBatchNorm.js';
import { fusedConv2dConfig } from './FusedConv2D.js';
import { greaterConfig } from './Greater.js';
import { greaterEqualConfig } from './GreaterEqual.js';
import { identityConfig } from './Identity.js';
import type { WasmKernelPatch } from './kernel-config.js';
import { lessConfig } from './Less.js';
import { lessEqualConfig } from './LessEqual.js';
import { maxConfig } from './Max.js';
import { maxPoolGradConfig } from './MaxPoolGrad.js';
import { meanConfig } from './Mean.js';
import { notEqualConfig } from './NotEqual.js';
import { oneHotConfig } from './OneHot.js';
import { reverseConfig } from './Reverse.js';
import { sliceConfig } from './Slice.js';
import { splitVConfig } from './SplitV.js';
import { sumConfig } from './Sum.js';
import { tileConfig } from './Tile.js';
import { transposeConfig } from './Transpose.js';
import { batchNormApplyConfig } from './XclrBatchNormApply.js';
import { batchNormGradConfig } from './XclrBatchNormGrad.js';
import { channelMomentsConfig } from './XclrChannelMoments.js';
import { pooledConv2dConfig } from './XclrPooledConv2D.js';
import { pooledConv2dBackpropFilterConfig } from './XclrPooledConv2DBackpropFilter.js';
import { reluGradConfig } from './XclrReluGrad.js';
import { softTargetCrossEntropyConfig } from './XclrSoftTargetCrossEntropy.js';
import { sumOfSquaresConfig } from './XclrSumOfSquares.js';

/** Every wasm training kernel, registered in this order by registerWasmKernels. */
export const WASM_KERNELS: readonly WasmKernelPatch[] = [
  transposeConfig,
  identityConfig,
  batchMatMulConfig,
  fusedMatMulConfig,
  conv2dConfig,
  fusedConv2dConfig,
  conv2dBackpropFilterConfig,
  conv2dBackpropInputConfig,
  sumConfig,
  meanConfig,
  maxConfig,
  fusedBatchNormConfig,
  maxPoolGradConfig,
  reluGradConfig,
  softTargetCrossEntropyConfig,
  channelMomentsConfig,
  batchNormApplyConfig,
  batchNormGradConfig,
  sumOfSquaresConfig,
  pooledConv2dConfig,
  pooledConv2dBackpropFilterConfig,
  sliceConfig,
  splitVConfig,
  concatConfig,
  reverseConfig,
  tileConfig,
  oneHotConfig,
  castConfig,
  equalConfig,
  notEqualConfig,
  greaterConfig,
  greaterEqualConfig,
  lessConfig,
  lessEqualConfig,
];
