import type { HeapBackend } from '../core/heap.js';
import type { TensorInfo } from '../core/kernel-call.js';
import { heapSimdKernels } from '../simd/simd-kernels.js';

/**
 * A wasm kernel this package adds, which `@xclr/losses`' softTargetCrossEntropy uses where it is
 * registered: inputs `logits` and `targets` ([R, C], float32), attribute `excludeSelf`; outputs
 * the per-row losses −Σ_c t_c log softmax(x)_c ([R]) and their gradient softmax(x) · Σ_c t_c − t
 * ([R, C]). With `excludeSelf`, row r's column r (r < C) is left out of the softmax, its gradient
 * is −t there (the caller's targets are 0 there).
 */
export const SOFT_TARGET_CROSS_ENTROPY = 'XclrSoftTargetCrossEntropy';

/** Row r's runs of kept entries, as [first index, length]: the row, or the two sides of its self column. */
function spansOf(r: number, cols: number, excludeSelf: boolean): [number, number][] {
  const row = r * cols;
  if (!excludeSelf || r >= cols) return [[row, cols]];
  const spans: [number, number][] = [];
  if (r > 0) spans.push([row, r]);
  if (r < cols - 1) spans.push([row + r + 1, cols - r - 1]);
  return spans;
}

/**
 * The kernel on the heap, a row at a time in three SIMD passes (row max; e = exp(x − m) written
 * to the gradient's place with Σ e, Σ t and Σ t · (x − m); the gradient e · Σ t / Σ e − t), where the composed form takes about a dozen passes over [R, C].
 * The self column splits a row into two spans, so it never enters the max or the sums. Each
 * span's last (length mod 4) entries are done here in JavaScript. Null where it does not apply.
 */
export function softTargetCrossEntropyOnHeap(
  backend: HeapBackend,
  logits: TensorInfo,
  targets: TensorInfo,
  excludeSelf: boolean,
  scratch: (shape: number[]) => TensorInfo,
): [TensorInfo, TensorInfo] | null {
  const simd = heapSimdKernels(backend);
  if (simd == null || logits.dtype !== 'float32' || targets.dtype !== 'float32') return null;
  if (logits.shape.length !== 2 || targets.shape.length !== 2) return null;
  const [rows, cols] = logits.shape;
  if (targets.shape[0] !== rows || targets.shape[1] !== cols) return null;
  const perRow = backend.makeOutput([rows], 'float32');
  const grad = backend.makeOutput([rows, cols], 'float32');
  const stats = scratch([12]);
  // Views after every allocation (an allocation may grow, and so move, the heap).
  const [x, t, g, loss, s] = [logits, targets, grad, perRow, stats].map((i) => backend.typedArrayFromHeap(i) as Float32Array);
  const at = (a: Float32Array, i: number) => a.byteOffset + i * 4;
  // Each pass runs over every row before the next starts: the hardware prefetcher then streams
  // each array, where a row at a time through all three passes measured about 1.5× slower.
  const maxes = new Float64Array(rows);
  const scales = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = Number.NEGATIVE_INFINITY;
    for (const [start, length] of spansOf(r, cols, excludeSelf)) {
      simd.rowMaxes(at(x, start), s.byteOffset, 1, length);
      max = Math.max(max, s[0]);
    }
    maxes[r] = max;
  }
  for (let r = 0; r < rows; r++) {
    const max = maxes[r];
    const spans = spansOf(r, cols, excludeSelf);
    let expSum = 0;
    let targetSum = 0;
    let weighted = 0;
    for (const [start, length] of spans) {
      const whole = length & ~3;
      // e = exp(x − m) goes where the gradient will be
      simd.softTargetStats(at(x, start), at(t, start), at(g, start), whole * 4, max, s.byteOffset);
      for (let lane = 0; lane < 4; lane++) {
        expSum += s[lane];
        targetSum += s[4 + lane];
        weighted += s[8 + lane];
      }
      for (let i = start + whole; i < start + length; i++) {
        g[i] = Math.exp(x[i] - max);
        expSum += g[i];
        targetSum += t[i];
        weighted += t[i] * (x[i] - max);
      }
    }
    // −Σ t (x − m − log Σ exp(x − m)), shifted by m so large logits do not cancel; a row with
    // nothing left (one column, excluded) has no loss
    loss[r] = spans.length === 0 ? 0 : targetSum * Math.log(expSum) - weighted;
    scales[r] = targetSum / expSum;
  }
  for (let r = 0; r < rows; r++) {
    for (const [start, length] of spansOf(r, cols, excludeSelf)) {
      const whole = length & ~3;
      simd.scaleSubtract(at(g, start), at(t, start), at(g, start), whole * 4, scales[r]);
      for (let i = start + whole; i < start + length; i++) g[i] = g[i] * scales[r] - t[i];
    }
    if (excludeSelf && r < cols) g[r * cols + r] = -t[r * cols + r];
  }
  return [perRow, grad];
}
