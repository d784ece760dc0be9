import { compareBroadcast } from '../ops/compare.js';
import { heapKernel } from './kernel-config.js';

/** Greater with broadcasting by strides. */
export const greaterConfig = heapKernel('Greater', (backend, { a, b }) => compareBroadcast(backend, 'Greater', a, b));
