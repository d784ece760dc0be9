import { compareBroadcast } from '../ops/compare.js';
import { heapKernel } from './kernel-config.js';

/** Less with broadcasting by strides. */
export const lessConfig = heapKernel('Less', (backend, { a, b }) => compareBroadcast(backend, 'Less', a, b));
