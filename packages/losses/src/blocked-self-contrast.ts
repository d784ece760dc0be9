import * as tf from '@tensorflow/tfjs-core';
import { crossEntropyFromSoftmax, fusedSoftTargetRows, MASKED_LOGIT } from './soft-target-cross-entropy.js';
import { indexRange, oneHotRows } from './one-hot.js';

/**
 * Target rows of a two-view loss for one block of anchors: anchors `start … start + size − 1` of
 * view `view` (rows `view · N + start …` of Z) against all 2N candidates, `[size, 2N]`. Each
 * anchor's own column must be 0 (it is excluded from the softmax). `graph` is the loss's sample
 * graph as passed to `blockedSelfContrast`: the backward pass runs after the caller's tensors
 * are gone, so the rows must be built from this argument, never from a captured tensor.
 */
export type TargetRows = (view: 0 | 1, start: number, size: number, graph: tf.Tensor | undefined) => tf.Tensor2D;

/** Logits per block under `'auto'`: 2²⁴ floats (64 MB), 2048 anchors × 8192 candidates at N = 4096. */
const AUTO_BLOCK_ELEMENTS = 2 ** 24;

/**
 * Anchor rows per block for a two-view loss over N samples: `'auto'` keeps the whole `[2N, 2N]`
 * problem in one piece up to N = 2048, where that is fastest (a block costs one more matmul, to
 * recompute its logits in the backward pass), and above it uses blocks of 2²⁴ logits: the full
 * logits, targets and saved tensors (8192² floats each at N = 4096) would fill the 4 GB heap of
 * the wasm backend, and in probes on wasm fewer, bigger blocks were faster than many small ones.
 * `null` means "not blocked".
 */
export function resolveBlockSize(fn: string, blockSize: number | 'auto' | undefined, n: number): number | null {
  if (blockSize === undefined || blockSize === 'auto')
    return n > 2048 ? Math.max(256, Math.floor(AUTO_BLOCK_ELEMENTS / (2 * n))) : null;
  if (!Number.isInteger(blockSize) || blockSize < 1) {
    throw new Error(`${fn}: blockSize must be a positive integer or 'auto', got ${String(blockSize)}`);
  }
  return blockSize >= n ? null : blockSize;
}

/**
 * A block's `[size, 2N]` target rows from their other-view half `[size, N]`: every sample graph
 * over two views gives an anchor the same row in both halves, except that in its own view's half
 * the anchor's self entry (column `start + r`) is excluded.
 */
export function rowsForViews(view: 0 | 1, start: number, other: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const [size, n] = other.shape;
    const own = tf.mul(other, oneHotRows(indexRange(start, size), n, 0, 1));
    return tf.concat(view === 0 ? [own, other] : [other, own], 1) as tf.Tensor2D;
  });
}

function blocks(n: number, blockSize: number): Array<[0 | 1, number, number]> {
  const out: Array<[0 | 1, number, number]> = [];
  for (const view of [0, 1] as const) {
    for (let start = 0; start < n; start += blockSize) out.push([view, start, Math.min(blockSize, n - start)]);
  }
  return out;
}

/** `[size, 2N]` logits of one anchor block against every embedding. */
function blockLogits(z: tf.Tensor2D, first: number, size: number, temperature: number): tf.Tensor2D {
  const anchors = tf.slice(z, [first, 0], [size, z.shape[1]]);
  return tf.div(tf.matMul(anchors, z, false, true), temperature) as tf.Tensor2D;
}

/** The block's logits with each anchor's self entry (column first + r) pushed down by MASKED_LOGIT. */
function maskSelf(logits: tf.Tensor2D, first: number): tf.Tensor2D {
  const [size, cols] = logits.shape;
  return tf.add(logits, oneHotRows(indexRange(first, size), cols, MASKED_LOGIT, 0)) as tf.Tensor2D;
}

/**
 * One block's per-row losses and their unscaled gradient (softmax · Σ t − t): one fused kernel
 * where the backend has it (the self entries left out by column), else composed from tfjs ops.
 */
function blockRows(z: tf.Tensor2D, first: number, size: number, temperature: number, t: tf.Tensor2D): [tf.Tensor1D, tf.Tensor2D] {
  const logits = blockLogits(z, first, size, temperature);
  const fused = fusedSoftTargetRows(logits, t, true, first);
  if (fused != null) return fused;
  const masked = maskSelf(logits, first);
  const probs = tf.softmax(masked) as tf.Tensor2D;
  const weight = tf.sum(t, 1, true);
  return [crossEntropyFromSoftmax(masked, probs, t, weight), tf.sub(tf.mul(probs, weight), t) as tf.Tensor2D];
}

/**
 * The mean over 2N anchors of the soft-target cross-entropy of Z Zᵀ / τ (self excluded) — the
 * 'all'-mode loss of NT-Xent and X-CLR — computed over blocks of anchor rows so that memory is
 * O(blockSize × 2N) instead of O((2N)²). Equal to the unblocked loss up to float rounding.
 *
 * The gradient is written out: with G = (softmax · Σt − t) / (2N τ) for a block R of anchors,
 * dZ gets G Z in the block's rows (the anchors' side) and Gᵀ Z_R in every row (the candidates'
 * side). The forward pass keeps nothing but Z; the backward pass recomputes each block's logits
 * and softmax (one more [size, D] × [D, 2N] matmul) instead of holding [2N, 2N] tensors.
 */
export function blockedSelfContrast(
  z: tf.Tensor2D,
  targetRows: TargetRows,
  temperature: number,
  blockSize: number,
  graph?: tf.Tensor,
): tf.Scalar {
  const n2 = z.shape[0];
  const n = n2 / 2;
  const plan = blocks(n, blockSize);
  const loss = tf.customGrad(((zIn: tf.Tensor, save: tf.GradSaveFunc) => {
    const z = zIn as tf.Tensor2D;
    const sums: tf.Tensor[] = [];
    for (const [view, start, size] of plan) {
      // t is 0 on the self entry. (The gradient computed here is not kept: the backward pass
      // recomputes it rather than holding [2N, 2N] floats.)
      const sum = tf.tidy(() => tf.sum(blockRows(z, view * n + start, size, temperature, targetRows(view, start, size, graph))[0]));
      sums.push(sum);
    }
    // A running sum, not addN: webgpu binds each addN input as a buffer (as few as 8 per kernel).
    const value = tf.div(
      sums.reduce((total, x) => tf.add(total, x)),
      n2,
    ) as tf.Scalar;
    tf.dispose(sums);
    // Saved copies outlive the caller's tensors (tf.grads disposes the forward pass's first).
    save(graph == null ? [z] : [z, graph]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [z, savedGraph] = saved as [tf.Tensor2D, tf.Tensor | undefined];
        const rowParts: tf.Tensor[] = [];
        let columns: tf.Tensor = tf.zerosLike(z);
        const scale = tf.div(dy, n2 * temperature);
        for (const [view, start, size] of plan) {
          const first = view * n + start;
          const [rows, nextColumns] = tf.tidy(() => {
            const t = targetRows(view, start, size, savedGraph);
            const g = tf.mul(blockRows(z, first, size, temperature, t)[1], scale) as tf.Tensor2D;
            const anchors = tf.slice(z, [first, 0], [size, z.shape[1]]);
            return [tf.matMul(g, z), tf.add(columns, tf.matMul(g, anchors, true, false))];
          });
          columns.dispose();
          columns = nextColumns;
          rowParts.push(rows);
        }
        const dz = tf.tidy(() => tf.add(tf.concat(rowParts, 0), columns));
        tf.dispose([...rowParts, columns, scale]);
        return dz;
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return loss(z) as tf.Scalar;
}
