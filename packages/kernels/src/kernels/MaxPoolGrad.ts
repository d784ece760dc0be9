import { asHeapBackend } from '../core/heap.js';
import { maxPoolGrad } from '../ops/max-pool-grad.js';
import { composedKernel } from './kernel-config.js';

/** The max-pool gradient with SIMD on the heap. */
export const maxPoolGradConfig = composedKernel('MaxPoolGrad', (call, { dy, input, output }, attrs) =>
  maxPoolGrad(asHeapBackend(call.backend), dy, input, output, attrs),
);
