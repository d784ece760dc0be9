import { compareBroadcast } from '../ops/compare.js';
import { heapKernel } from './kernel-config.js';

/** NotEqual with broadcasting by strides. */
export const notEqualConfig = heapKernel('NotEqual', (backend, { a, b }) => compareBroadcast(backend, 'NotEqual', a, b));
