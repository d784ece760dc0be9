import { POOLED_CONV2D_BACKPROP_FILTER, POOLED_CONV2D_NEEDS, pooledConv2dFilterGradOnHeap } from '../ops/pooled-conv2d.js';
import { addedHeapKernel } from './kernel-config.js';

/** XclrPooledConv2D's filter gradient from its pooled gradient (added: `@xclr/models`' pooledConv2d gradient calls it). */
export const pooledConv2dBackpropFilterConfig = addedHeapKernel(
  POOLED_CONV2D_BACKPROP_FILTER,
  (heap, { x, dy, y, argmax }, attrs, scratch) =>
    pooledConv2dFilterGradOnHeap(heap, { x, dy, y, argmax }, attrs.filterShape as number[], scratch),
  ({ x, dy, y, argmax }, attrs) =>
    `needs ${POOLED_CONV2D_NEEDS}; got x ${x.dtype} [${x.shape}], filterShape [${attrs.filterShape}], ` +
    `dy ${dy.dtype} [${dy.shape}], y ${y.dtype} [${y.shape}], argmax ${argmax.dtype} [${argmax.shape}]`,
);
