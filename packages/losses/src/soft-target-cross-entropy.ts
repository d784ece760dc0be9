import * as tf from '@tensorflow/tfjs-core';
import { fail } from './checks.js';
import { indexRange, oneHotRows } from './one-hot.js';

/**
 * The value masked logits are filled with: large, negative and finite, so that exp() of it
 * underflows to exactly 0 after the max shift while no -Infinity (and no 0 · -Infinity = NaN)
 * ever appears. Valid logits in these losses stay far above it (|logit| ≤ 1/temperature).
 */
export const MASKED_LOGIT = -1e9;

/**
 * A kernel `@xclr/kernels` registers on the wasm backend: the per-row losses and their gradient
 * (softmax · Σ t − t) from logits and targets in three passes, the self column left out with
 * `excludeSelf`. Used where the active backend has it; composed from tfjs ops elsewhere.
 */
export const FUSED_SOFT_TARGET_KERNEL = 'XclrSoftTargetCrossEntropy';

/**
 * The fused kernel's per-row losses and their gradient (softmax · Σ t − t), or null where the
 * active backend has no such kernel. With `excludeSelf`, row r leaves out column r + `selfColumnOffset`.
 */
export function fusedSoftTargetRows(
  logits: tf.Tensor2D,
  targets: tf.Tensor2D,
  excludeSelf: boolean,
  selfColumnOffset = 0,
): [tf.Tensor1D, tf.Tensor2D] | null {
  if (tf.getKernel(FUSED_SOFT_TARGET_KERNEL, tf.getBackend()) == null) return null;
  const out = tf.engine().runKernel(FUSED_SOFT_TARGET_KERNEL, { logits, targets }, { excludeSelf, selfColumnOffset });
  return out as unknown as [tf.Tensor1D, tf.Tensor2D];
}

export interface SoftTargetCrossEntropyOptions {
  /**
   * `[R, C]` with 1 (or true) where a candidate takes part and 0 where it is excluded (e.g. an
   * anchor's own entry). Excluded logits are left out of the softmax and their targets ignored.
   */
  mask?: tf.Tensor2D;
  /**
   * Leave each row's own column out (row r's column r, for r below the column count), the
   * self-pairs of a self-contrast, as a `mask` with 0 there would, in fewer passes over `[R, C]`:
   * the targets must already be 0 at those entries (they are used as given there, not zeroed).
   */
  excludeSelf?: boolean;
  /** `'mean'` (default) over rows, or `'none'` for the `[R]` per-row losses. */
  reduction?: 'mean' | 'none';
}

function checkArgs(logits: tf.Tensor, targets: tf.Tensor, mask: tf.Tensor | undefined): void {
  const fn = 'softTargetCrossEntropy';
  if (logits == null || logits.rank !== 2) fail(fn, `logits must be a [R, C] tensor, got shape [${logits?.shape.join(', ')}]`);
  if (targets == null || targets.rank !== 2)
    fail(fn, `targets must be a [R, C] tensor, got shape [${targets?.shape.join(', ')}]`);
  if (logits.shape[0] !== targets.shape[0] || logits.shape[1] !== targets.shape[1]) {
    fail(fn, `logits [${logits.shape.join(', ')}] and targets [${targets.shape.join(', ')}] must have the same shape`);
  }
  if (mask != null && (mask.rank !== 2 || mask.shape[0] !== logits.shape[0] || mask.shape[1] !== logits.shape[1])) {
    fail(fn, `mask must be [${logits.shape.join(', ')}] like logits, got [${mask.shape.join(', ')}]`);
  }
}

/** A 0/1 mask as float32 (masks are usually built float32 already: no copy then). */
const asFloat = (mask: tf.Tensor): tf.Tensor => (mask.dtype === 'float32' ? mask : tf.cast(mask, 'float32'));

/**
 * Pushes excluded entries down by MASKED_LOGIT (`mask` holds 1 where an entry takes part): an
 * add of a constant bias rather than a select, which on the wasm backend is several times faster
 * and leaves kept entries bit-identical.
 */
export function maskLogits(logits: tf.Tensor2D, mask: tf.Tensor2D | undefined): tf.Tensor2D {
  if (mask == null) return logits;
  return tf.tidy(() => tf.add(logits, tf.mul(tf.sub(1, asFloat(mask)), MASKED_LOGIT)));
}

/** Pushes each row's own column down by MASKED_LOGIT (`excludeSelf`): one scaled one-hot added. */
function excludeSelfLogits(logits: tf.Tensor2D): tf.Tensor2D {
  const [rows, cols] = logits.shape;
  return tf.tidy(() => tf.add(logits, oneHotRows(indexRange(0, rows), cols, MASKED_LOGIT)));
}

/**
 * Per-row cross-entropy −Σ_c t_c log softmax(x)_c without an exp or log pass over `[R, C]`:
 * = Σ_c t_c · (lse − m) − Σ_c t_c · (x_c − m), with m the row max and lse − m = −log(max softmax)
 * (the largest entry's probability is exp(0) / Σ exp(x − m), at least 1 / C, so its log is well
 * conditioned). Shifting by m first keeps large logits from cancelling in float32. A softmax
 * kernel (XNNPACK on wasm, threaded) is many times faster than logSoftmax's exp and log passes.
 * `targetSums` (`[R]` or `[R, 1]`): each row's Σ_c t_c where the caller has it already.
 */
export function crossEntropyFromSoftmax(
  x: tf.Tensor2D,
  probs: tf.Tensor2D,
  targets: tf.Tensor2D,
  targetSums?: tf.Tensor,
): tf.Tensor1D {
  return tf.tidy(() => {
    const max = tf.max(x, 1, true);
    const shiftedLse = tf.neg(tf.log(tf.max(probs, 1)));
    const weighted = tf.mul(shiftedLse, targetSums ? tf.reshape(targetSums, shiftedLse.shape) : tf.sum(targets, 1));
    return tf.sub(weighted, tf.sum(tf.mul(targets, tf.sub(x, max)), 1)) as tf.Tensor1D;
  });
}

/** Row-wise softmax over the entries `mask` keeps (excluded entries get exactly 0). */
export function maskedSoftmax(logits: tf.Tensor2D, mask?: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.softmax(maskLogits(logits, mask)));
}

/**
 * Cross-entropy of row-wise soft targets against logits: for each row r,
 * −Σ_c targets[r, c] · log softmax(logits[r])_c, over the candidates the mask keeps.
 *
 * Every loss in this package is this kernel with a different target graph (Theorem 1 of the
 * X-CLR paper): identity for SimCLR, same-label for SupCon, image–text identity for CLIP and a
 * softmax of caption similarities for X-CLR. Targets are used as given (not renormalised).
 */
export function softTargetCrossEntropy(
  logits: tf.Tensor2D,
  targets: tf.Tensor2D,
  options: SoftTargetCrossEntropyOptions = {},
): tf.Tensor {
  const { mask, excludeSelf = false, reduction = 'mean' } = options;
  checkArgs(logits, targets, mask);
  if (mask != null && excludeSelf) fail('softTargetCrossEntropy', 'give mask or excludeSelf, not both');
  const rows = logits.shape[0];
  return tf.tidy(() => {
    // Targets are constants (stop-gradient): the target graph is an input to these losses, never
    // learned. The gradient is written out, d/dlogits = softmax · Σ_c t_c − t, which takes a few
    // elementwise passes over [R, C] where autodiff through logSoftmax, where and mean takes about
    // twenty (it dominates the loss at large batches). No exp or log runs over [R, C] at all: the
    // softmax gives both the gradient and, through logSumExpFromSoftmax, the value.
    // 'mean' spreads dy over the rows; 'none' has one dy per row.
    const scaleOf = (dy: tf.Tensor) => (reduction === 'none' ? tf.reshape(dy, [rows, 1]) : tf.div(dy, rows));
    const reduce = (perRow: tf.Tensor1D) => (reduction === 'none' ? perRow : tf.mean(perRow));
    const loss = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
      const fused = mask == null ? fusedSoftTargetRows(x as tf.Tensor2D, targets, excludeSelf) : null;
      if (fused != null) {
        const [perRow, gradient] = fused;
        save([gradient]);
        return { value: reduce(perRow), gradFunc: (dy: tf.Tensor, [g]: tf.Tensor[]) => tf.mul(g, scaleOf(dy)) };
      }
      // Excluded targets are zeroed so that a stray non-zero target never meets MASKED_LOGIT.
      // With excludeSelf the caller's targets are already 0 there.
      const kept = mask == null ? targets : tf.mul(targets, asFloat(mask));
      const masked = excludeSelf ? excludeSelfLogits(x as tf.Tensor2D) : maskLogits(x as tf.Tensor2D, mask);
      const probs = tf.softmax(masked) as tf.Tensor2D;
      // Each row's target mass, once for the value and the gradient.
      const weight = tf.sum(kept, 1, true);
      const perRow = crossEntropyFromSoftmax(masked, probs, kept as tf.Tensor2D, weight);
      // Saved tensors outlive this call (the engine keeps them for the backward pass).
      save([probs, kept, weight]);
      return {
        value: reduce(perRow),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [probs, kept, weight] = saved;
          return tf.mul(tf.sub(tf.mul(probs, weight), kept), scaleOf(dy));
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return loss(logits);
  });
}
