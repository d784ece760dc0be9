import { castInt32ToFloat32 } from '../ops/cast.js';
import { heapKernel } from './kernel-config.js';

/** int32 → float32 with SIMD. */
export const castConfig = heapKernel('Cast', (backend, { x }, attrs) => castInt32ToFloat32(backend, x, attrs));
