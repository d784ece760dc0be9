import { compareBroadcast } from '../ops/compare.js';
import { heapKernel } from './kernel-config.js';

/** Equal with broadcasting by strides. */
export const equalConfig = heapKernel('Equal', (backend, { a, b }) => compareBroadcast(backend, 'Equal', a, b));
