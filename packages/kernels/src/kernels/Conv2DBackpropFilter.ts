import { conv2dBackpropFilter } from '../ops/conv2d-backprop.js';
import { composedKernel } from './kernel-config.js';

/** The filter gradient (missing in tfjs-backend-wasm), composed from Conv2D and products. */
export const conv2dBackpropFilterConfig = composedKernel('Conv2DBackpropFilter', (call, { x, dy }, attrs) =>
  conv2dBackpropFilter(call, x, dy, attrs),
);
