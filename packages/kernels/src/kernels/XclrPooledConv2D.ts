import { POOLED_CONV2D, POOLED_CONV2D_NEEDS, pooledConv2dOnHeap } from '../ops/pooled-conv2d.js';
import { addedHeapKernel } from './kernel-config.js';

/** A first layer's convolution, bias, ReLU and 2 × 2 max pool in one pass (added: `@xclr/models`' pooledConv2d calls it). */
export const pooledConv2dConfig = addedHeapKernel(
  POOLED_CONV2D,
  (heap, { x, filter, bias }) => pooledConv2dOnHeap(heap, { x, filter, bias }),
  ({ x, filter, bias }) =>
    `needs ${POOLED_CONV2D_NEEDS}; got x ${x.dtype} [${x.shape}], filter [${filter.shape}], bias [${bias?.shape}]`,
);
