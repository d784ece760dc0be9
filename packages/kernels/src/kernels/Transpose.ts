import { asHeapBackend } from '../core/heap.js';
import { transposeKernel } from '../ops/transpose.js';
import { composedKernel } from './kernel-config.js';

/** Transpose by collapsed axes, blocked for the cache. */
export const transposeConfig = composedKernel('Transpose', (call, { x }, attrs) =>
  transposeKernel(asHeapBackend(call.backend), x, attrs),
);
