import { heapSimdKernels } from '../simd/simd-kernels.js';
import type { HeapBackend } from '../core/heap.js';
import type { Attrs, TensorInfo } from '../core/kernel-call.js';

/** Cast int32 → float32 with SIMD on the heap (the stock kernel converts element by element). */
export function castInt32ToFloat32(backend: HeapBackend, x: TensorInfo, attrs: Attrs): TensorInfo | null {
  const simd = heapSimdKernels(backend);
  if (simd == null || x.dtype !== 'int32' || (attrs as { dtype?: string }).dtype !== 'float32') return null;
  const out = backend.makeOutput(x.shape, 'float32');
  const from = backend.typedArrayFromHeap(x) as Int32Array;
  const to = backend.typedArrayFromHeap(out) as Float32Array;
  const whole = from.length & ~3;
  simd.int32ToFloat32(from.byteOffset, to.byteOffset, whole * 4);
  for (let i = whole; i < from.length; i++) to[i] = from[i];
  return out;
}
