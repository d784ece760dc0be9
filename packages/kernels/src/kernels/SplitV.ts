import { splitOnHeap } from '../ops/slice.js';
import { heapKernel } from './kernel-config.js';

/** Splits as Slice's runs of contiguous copies. */
export const splitVConfig = heapKernel('SplitV', (backend, { x }, attrs) => splitOnHeap(backend, x, attrs));
