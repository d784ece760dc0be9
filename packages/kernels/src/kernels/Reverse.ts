import { reverseOnHeap } from '../ops/reverse.js';
import { heapKernel } from './kernel-config.js';

/** Reverse by runs. */
export const reverseConfig = heapKernel('Reverse', (backend, { x }, attrs) => reverseOnHeap(backend, x, attrs));
