import type { HeapBackend } from '../core/heap.js';
import type { TensorInfo } from '../core/kernel-call.js';
import { inTwoShares } from '../simd/simd-helper.js';
import { heapSimdKernels, type SimdKernels } from '../simd/simd-kernels.js';

// Per-channel sums over many rows (batch norm's statistics and gradient sums, bias gradients):
// float32 within a block of rows, the blocks' sums added in float64, so the float32 error stays
// that of a block, not of the whole batch.

/** Rows a SIMD loop sums in float32 before the block's sums go into float64. */
export const BLOCK_ROWS = 128;

/** Blocks of BLOCK_ROWS in `rows` rows: the size of each partial-sums scratch tensor is [blocks, C]. */
export const blocksOf = (rows: number) => Math.ceil(rows / BLOCK_ROWS);

/**
 * Per-channel sums over `rows` rows in SIMD blocks: `argsOf(block, outs, n)` is the arguments of
 * loop `name` adding `n` rows of block `block` into per-channel arrays at the byte addresses
 * `outs` (one per sum). Each block adds into partials of its own (`partials`: one scratch tensor
 * of at least [blocks, C] per sum, allocated by the caller before it took views of the heap, which
 * an allocation may grow), so whole blocks run in two shares where the SIMD helper runs; the
 * partials are then added into float64 in block order.
 */
export function simdBlockSums(
  backend: HeapBackend,
  rows: number,
  channels: number,
  partials: TensorInfo[],
  name: keyof SimdKernels,
  argsOf: (block: number, outs: number[], n: number) => number[],
): Float64Array[] {
  const rowBytes = channels * 4;
  const blocks = blocksOf(rows);
  const whole = Math.floor(rows / BLOCK_ROWS);
  const views = partials.map((t) => (backend.typedArrayFromHeap(t) as Float32Array).subarray(0, blocks * channels));
  for (const p of views) p.fill(0);
  const at = (block: number, n: number) =>
    argsOf(
      block,
      views.map((p) => p.byteOffset + block * rowBytes),
      n,
    );
  if (whole > 0) {
    inTwoShares(backend, whole, 2 * BLOCK_ROWS * rowBytes, (first, count) => {
      const args = at(first, BLOCK_ROWS);
      const next = at(first + 1, BLOCK_ROWS);
      return { name, args, calls: count, step: next.map((v, k) => v - args[k]) };
    });
  }
  if (whole < blocks) {
    const loop = (heapSimdKernels(backend) as SimdKernels)[name] as unknown as (...args: number[]) => void;
    loop(...at(whole, rows - whole * BLOCK_ROWS));
  }
  return views.map((p) => {
    const total = new Float64Array(channels);
    for (let block = 0; block < blocks; block++) for (let c = 0; c < channels; c++) total[c] += p[block * channels + c];
    return total;
  });
}
