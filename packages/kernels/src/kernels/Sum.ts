import { asHeapBackend } from '../core/heap.js';
import { reduceLeadingAxes } from '../ops/reduce-leading.js';
import { reduceTrailingAxes } from '../ops/reduce-trailing.js';
import { composedKernel } from './kernel-config.js';

/** Sums over leading axes as a product with ones, over trailing axes with SIMD row sums. */
export const sumConfig = composedKernel(
  'Sum',
  (call, { x }, attrs) =>
    reduceLeadingAxes(call, x, attrs, 'sum') ?? reduceTrailingAxes(asHeapBackend(call.backend), x, attrs, 'sum'),
);
