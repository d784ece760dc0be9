import { SUM_OF_SQUARES, sumOfSquaresOnHeap } from '../ops/sum-of-squares.js';
import { addedHeapKernel } from './kernel-config.js';

/** Σ x² in one SIMD pass, no squared copy (added: a training step's gradient norm calls it where it is registered). */
export const sumOfSquaresConfig = addedHeapKernel(
  SUM_OF_SQUARES,
  (heap, { x }, _attrs, scratch) => sumOfSquaresOnHeap(heap, x, scratch),
  ({ x }) => `needs a float32 x, got ${x.dtype} [${x.shape}]`,
);
