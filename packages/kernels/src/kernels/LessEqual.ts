import { compareBroadcast } from '../ops/compare.js';
import { heapKernel } from './kernel-config.js';

/** LessEqual with broadcasting by strides. */
export const lessEqualConfig = heapKernel('LessEqual', (backend, { a, b }) => compareBroadcast(backend, 'LessEqual', a, b));
