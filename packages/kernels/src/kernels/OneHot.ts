import { oneHotOnHeap } from '../ops/one-hot.js';
import { heapKernel } from './kernel-config.js';

/** One-hot rows written directly. */
export const oneHotConfig = heapKernel('OneHot', (backend, { indices }, attrs) => oneHotOnHeap(backend, indices, attrs));
