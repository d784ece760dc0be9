import type { HeapBackend } from '../core/heap.js';
import type { TensorInfo } from '../core/kernel-call.js';
import { heapSimdKernels } from '../simd/simd-kernels.js';

/**
 * A wasm kernel this package adds, which `@xclr/losses`' softTargetCrossEntropy uses where it is
 * registered: inputs `logits` and `targets` ([R, C], float32), attributes `excludeSelf` and
 * `selfColumnOffset` (k, default 0); outputs the per-row losses −Σ_c t_c log softmax(x)_c ([R])
 * and their gradient softmax(x) · Σ_c t_c − t ([R, C]). With `excludeSelf`, row r's column r + k
 * (a block of anchors starting at row k of a self-contrast), where it exists, is left out of the
 * softmax; its gradient is −t there (the caller's targets are 0 there).
 */
export const SOFT_TARGET_CROSS_ENTROPY = 'XclrSoftTargetCrossEntropy';

/**
 * The kernel on the heap in three SIMD passes over every row (row maxima; e = exp(x − m), written
 * where the gradient goes, with each row's Σ e, Σ t and Σ t · (x − m); the gradient e · Σ t / Σ e
 * − t), where the composed form takes about a dozen passes over [R, C]. With `excludeSelf` the
 * self column is masked in its vector (−∞ for the max, 0 for exp). The loops take each row's
 * first C − C mod 4 columns; the rest, and each row's loss (a log), are done here in JavaScript.
 * Null where it does not apply.
 */
export function softTargetCrossEntropyOnHeap(
  backend: HeapBackend,
  logits: TensorInfo,
  targets: TensorInfo,
  excludeSelf: boolean,
  selfColumnOffset: number,
  scratch: (shape: number[]) => TensorInfo,
): [TensorInfo, TensorInfo] | null {
  const simd = heapSimdKernels(backend);
  if (simd == null || logits.dtype !== 'float32' || targets.dtype !== 'float32') return null;
  if (logits.shape.length !== 2 || targets.shape.length !== 2) return null;
  const [rows, cols] = logits.shape;
  if (targets.shape[0] !== rows || targets.shape[1] !== cols) return null;
  if (!Number.isInteger(selfColumnOffset) || selfColumnOffset < 0) return null;
  const perRow = backend.makeOutput([rows], 'float32');
  const grad = backend.makeOutput([rows, cols], 'float32');
  // per row: its max, then Σ e, Σ t, Σ t · (x − m), then the gradient's scale
  const maxes = scratch([rows]);
  const sums = scratch([rows, 3]);
  const scales = scratch([rows]);
  // Views after every allocation (an allocation may grow, and so move, the heap).
  const [x, t, g, loss, m, s, k] = [logits, targets, grad, perRow, maxes, sums, scales].map(
    (i) => backend.typedArrayFromHeap(i) as Float32Array,
  );
  const vector = cols & ~3;
  const [vectorBytes, rowBytes, shift] = [vector * 4, cols * 4, excludeSelf ? selfColumnOffset : -1];
  const kept = (r: number, c: number) => !(excludeSelf && c === r + selfColumnOffset);

  simd.rowMaxesExcept(x.byteOffset, m.byteOffset, rows, vectorBytes, rowBytes, shift);
  if (vector < cols) {
    for (let r = 0; r < rows; r++) {
      for (let c = vector; c < cols; c++) if (kept(r, c)) m[r] = Math.max(m[r], x[r * cols + c]);
    }
  }
  simd.softTargetRows(x.byteOffset, t.byteOffset, g.byteOffset, rows, vectorBytes, rowBytes, shift, m.byteOffset, s.byteOffset);
  for (let r = 0; r < rows; r++) {
    let [expSum, targetSum, weighted] = [s[3 * r], s[3 * r + 1], s[3 * r + 2]];
    for (let c = vector; c < cols; c++) {
      const i = r * cols + c;
      const y = x[i] - m[r];
      g[i] = kept(r, c) ? Math.exp(y) : 0;
      expSum += g[i];
      targetSum += t[i];
      weighted += kept(r, c) ? t[i] * y : 0;
    }
    // −Σ t (x − m − log Σ exp(x − m)), shifted by m so large logits do not cancel; a row with
    // nothing left (one column, excluded) has no loss
    const empty = excludeSelf && cols === 1 && r + selfColumnOffset === 0;
    loss[r] = empty ? 0 : targetSum * Math.log(expSum) - weighted;
    k[r] = empty ? 0 : targetSum / expSum;
  }
  simd.scaleSubtractRows(g.byteOffset, t.byteOffset, g.byteOffset, rows, vectorBytes, rowBytes, k.byteOffset);
  if (vector < cols) {
    for (let r = 0; r < rows; r++) {
      for (let c = vector; c < cols; c++) g[r * cols + c] = g[r * cols + c] * k[r] - t[r * cols + c];
    }
  }
  return [perRow, grad];
}
