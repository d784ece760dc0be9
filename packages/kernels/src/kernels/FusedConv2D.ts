import { nativeConvKernel } from './native-conv.js';

/** Conv2D's route, with the bias and activation fused. */
export const fusedConv2dConfig = nativeConvKernel('FusedConv2D');
