import { compareBroadcast } from '../ops/compare.js';
import { heapKernel } from './kernel-config.js';

/** GreaterEqual with broadcasting by strides. */
export const greaterEqualConfig = heapKernel('GreaterEqual', (backend, { a, b }) =>
  compareBroadcast(backend, 'GreaterEqual', a, b),
);
