import { sliceOnHeap } from '../ops/slice.js';
import { heapKernel } from './kernel-config.js';

/** Slices as runs of contiguous copies. */
export const sliceConfig = heapKernel('Slice', (backend, { x }, attrs) => sliceOnHeap(backend, x, attrs));
