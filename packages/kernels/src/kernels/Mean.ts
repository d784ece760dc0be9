import { asHeapBackend } from '../core/heap.js';
import { reduceLeadingAxes } from '../ops/reduce-leading.js';
import { reduceTrailingAxes } from '../ops/reduce-trailing.js';
import { composedKernel } from './kernel-config.js';

/** Means by Sum's routes. */
export const meanConfig = composedKernel(
  'Mean',
  (call, { x }, attrs) =>
    reduceLeadingAxes(call, x, attrs, 'mean') ?? reduceTrailingAxes(asHeapBackend(call.backend), x, attrs, 'mean'),
);
