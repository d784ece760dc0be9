import { nativeConvKernel } from './native-conv.js';

/** Large many-channel convolutions on the native engine where one is installed, else XNNPACK's. */
export const conv2dConfig = nativeConvKernel('Conv2D');
