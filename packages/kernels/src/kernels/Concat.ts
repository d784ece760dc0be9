import type { TensorInfo } from '../core/kernel-call.js';
import { concatOnHeap } from '../ops/concat.js';
import { heapKernel } from './kernel-config.js';

/** Concatenation as runs of contiguous copies (Concat takes its inputs as an array). */
export const concatConfig = heapKernel('Concat', (backend, inputs, attrs) =>
  concatOnHeap(backend, inputs as unknown as TensorInfo[], attrs),
);
