import { castInt32ToFloat32 } from '../ops/cast.js';
import { shareBuffer } from '../ops/identity.js';
import { heapKernel } from './kernel-config.js';

/**
 * Cast to the tensor's own dtype shares its buffer (the stock kernel copies it within the shared
 * heap, a slow path in V8; tf.moments and tfjs-layers cast every batch-norm input so); int32 →
 * float32 with SIMD.
 */
export const castConfig = heapKernel('Cast', (backend, { x }, attrs) =>
  x.dtype === (attrs as { dtype?: string }).dtype ? shareBuffer(backend, x) : castInt32ToFloat32(backend, x, attrs),
);
