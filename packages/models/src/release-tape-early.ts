import * as tf from '@tensorflow/tfjs-core';

/** A recorded op as tfjs-core's engine keeps it on its tape (`TapeNode` in tfjs-core's tape.ts). */
interface TapeNode {
  inputs: tf.NamedTensorMap;
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
}

interface TapeState {
  activeTape: TapeNode[] | null;
  gradientDepth: number;
}

/**
 * `f`, to be differentiated by `tf.variableGrads` or `tf.grads`, changed so that the backward
 * pass frees memory as it goes: once an op's input gradients are computed, the tensors it saved
 * for its gradient and the gradients of its outputs are disposed, as PyTorch frees its graph
 * during `backward()`. tfjs-core keeps both until the whole backward pass ends, so its peak is the
 * forward pass's saved activations plus a gradient for every one of them; released early, the
 * peak is about the saved activations alone (less than the forward pass held at its end).
 *
 * Applies only to the outermost gradient computation (inside another `tf.grads` the saved tensors
 * may be needed for a higher-order gradient, and are kept as tfjs keeps them). The gradients the
 * caller asked for are never among those disposed: they belong to tensors that existed before `f`
 * ran, which no op recorded in `f` outputs. A gradient an op returns as one of its own inputs'
 * gradients is not disposed with that op, nor is a tensor returned as the gradient of two inputs
 * (it is then the output gradient of two ops).
 */
export function releaseTapeEarly<A extends unknown[], T extends tf.Tensor>(f: (...args: A) => T): (...args: A) => T {
  return (...args: A) => {
    const state = tf.engine().state as unknown as TapeState;
    const first = state.activeTape?.length ?? 0;
    const y = f(...args);
    if (state.gradientDepth === 1 && state.activeTape != null) {
      const backward: BackwardState = { made: new Map(), pending: null };
      for (const node of state.activeTape.slice(first)) releaseAfterGradient(node, backward);
    }
    return y;
  };
}

/**
 * One backward pass: `made` counts, per tensor, how many times an op of this tape returned it as
 * an input gradient; `pending` frees what the op processed last used.
 */
interface BackwardState {
  made: Map<tf.Tensor, number>;
  pending: (() => void) | null;
}

/**
 * Wraps a tape node's gradient so that what only it used is disposed when the backward pass moves
 * on to the next op. (tfjs-core calls an op's gradient, then the input gradients it needs, before
 * the next op's: the inputs it needs are those on a path from the variables, which the wrapper
 * cannot see, so it waits for the next op rather than for a count of its inputs.)
 */
function releaseAfterGradient(node: TapeNode, backward: BackwardState): void {
  const gradient = node.gradient;
  if (gradient == null) return;
  node.gradient = (dys) => {
    backward.pending?.();
    const thunks = gradient(dys);
    const mine = new Set<tf.Tensor>();
    backward.pending = () => {
      backward.pending = null;
      for (const dy of dys) if (dy != null && !mine.has(dy) && (backward.made.get(dy) ?? 0) <= 1) dy.dispose();
      for (const t of node.saved ?? []) if (!mine.has(t)) t.dispose();
    };
    const wrapped: Record<string, () => tf.Tensor> = {};
    for (const [name, thunk] of Object.entries(thunks)) {
      wrapped[name] = () => {
        const dx = thunk();
        mine.add(dx);
        backward.made.set(dx, (backward.made.get(dx) ?? 0) + 1);
        return dx;
      };
    }
    return wrapped;
  };
}
