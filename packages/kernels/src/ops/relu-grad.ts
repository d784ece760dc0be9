import { inTwoShares } from '../simd/simd-helper.js';
import { heapSimdKernels } from '../simd/simd-kernels.js';
import type { HeapBackend } from '../core/heap.js';
import type { TensorInfo } from '../core/kernel-call.js';

/** A wasm kernel this package adds: ReLU's input gradient in one pass (see lean-gradients.ts). */
export const RELU_GRAD = 'XclrReluGrad';

/**
 * dx = dy where x > 0, NaN where x is NaN, else 0, with WebAssembly SIMD on the heap: one pass
 * where tfjs's gradient, dy · cast(step(x)), takes three. (dy = ±∞ at x ≤ 0 gives 0, not NaN.)
 * Null where it does not apply (not float32, no heap memory found).
 */
export function reluGradOnHeap(backend: HeapBackend, dy: TensorInfo, x: TensorInfo): TensorInfo | null {
  const simd = heapSimdKernels(backend);
  if (simd == null || x.dtype !== 'float32' || dy.dtype !== 'float32') return null;
  const out = backend.makeOutput(x.shape, 'float32');
  const [xs, gs, dxs] = [x, dy, out].map((t) => backend.typedArrayFromHeap(t) as Float32Array);
  const whole = xs.length & ~3;
  inTwoShares(backend, whole / 4, 48, (first, count) => ({
    name: 'reluGrad',
    args: [xs.byteOffset + first * 16, gs.byteOffset + first * 16, dxs.byteOffset + first * 16, count * 16],
  }));
  for (let i = whole; i < xs.length; i++) dxs[i] = xs[i] > 0 ? gs[i] : Number.isNaN(xs[i]) ? Number.NaN : 0;
  return out;
}
