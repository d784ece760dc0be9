import { conv2dBackpropInput } from '../ops/conv2d-backprop.js';
import { composedKernel } from './kernel-config.js';

/** The input gradient as one Conv2D per stride phase. */
export const conv2dBackpropInputConfig = composedKernel('Conv2DBackpropInput', (call, { dy, filter }, attrs) =>
  conv2dBackpropInput(call, dy, filter, attrs),
);
