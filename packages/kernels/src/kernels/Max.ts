import { asHeapBackend } from '../core/heap.js';
import { reduceTrailingAxes } from '../ops/reduce-trailing.js';
import { composedKernel } from './kernel-config.js';

/** Maxima over trailing axes (the losses' row maxima) with SIMD row maxima; other axes: the stock kernel. */
export const maxConfig = composedKernel('Max', (call, { x }, attrs) =>
  reduceTrailingAxes(asHeapBackend(call.backend), x, attrs, 'max'),
);
