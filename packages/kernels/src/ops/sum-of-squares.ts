import type { HeapBackend } from '../core/heap.js';
import type { TensorInfo } from '../core/kernel-call.js';
import { inTwoShares } from '../simd/simd-helper.js';
import { heapSimdKernels } from '../simd/simd-kernels.js';

/**
 * A kernel this package adds: XclrSumOfSquares, input `x` (float32), output the scalar Σ x² (as
 * tf.sum(tf.square(x)), without the squared copy): a training step's gradient norm reads each
 * gradient once. `@xclr/models`' training step calls it where it is registered.
 */
export const SUM_OF_SQUARES = 'XclrSumOfSquares';

/** Floats squared and summed in float32 by one SIMD block before the blocks' sums go into float64. */
const BLOCK_FLOATS = 1 << 14;

/** Σ x² over a float32 tensor on the heap: SIMD blocks (two shares for large tensors), float64 across blocks. */
export function sumOfSquaresOnHeap(
  backend: HeapBackend,
  x: TensorInfo,
  scratch: (shape: number[]) => TensorInfo,
): TensorInfo | null {
  if (x.dtype !== 'float32') return null;
  const simd = heapSimdKernels(backend);
  const xs = backend.typedArrayFromHeap(x) as Float32Array;
  const n = xs.length;
  const blocks = Math.floor(n / BLOCK_FLOATS);
  let total = 0;
  if (simd != null && blocks > 0) {
    const partials = backend.typedArrayFromHeap(scratch([blocks, 4])) as Float32Array;
    const blockBytes = BLOCK_FLOATS * 4;
    inTwoShares(backend, blocks, blockBytes, (first, count) => ({
      name: 'blockSquareSums',
      args: [xs.byteOffset + first * blockBytes, partials.byteOffset + first * 16, count, blockBytes],
    }));
    for (let i = 0; i < partials.length; i++) total += partials[i];
  }
  for (let i = simd != null ? blocks * BLOCK_FLOATS : 0; i < n; i++) total += xs[i] * xs[i];
  const out = backend.makeOutput([], 'float32');
  (backend.typedArrayFromHeap(out) as Float32Array)[0] = total;
  return out;
}
