import * as tf from '@tensorflow/tfjs-core';
import { nativeOffload } from '../offload/offload.js';
import { type Attrs, KernelCall, type TensorInfo, reshapeOutput } from '../core/kernel-call.js';

// XNNPACK's fast path in the wasm backend covers a single 2-D product without transposes. Dense
// backprop (dW = xᵀ·dy, dx = dy·Wᵀ) and every contrastive z·zᵀ hit the slow generic loop
// instead. Materialising the transpose first costs one memory pass and gets the fast path, many
// times faster on those shapes; batched products are folded or split into 2-D ones.
// Timings: packages/kernels/README.md, "What it changes on wasm".

/** Below this many multiply-adds per batch item, splitting a batch costs more than it saves. */
const SPLIT_MIN_MACS = 32 * 32 * 32;

const swapLast2 = (rank: number) => [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
const batchOf = (shape: number[]) => tf.util.sizeFromShape(shape.slice(0, -2));

interface Operands {
  a: TensorInfo;
  b: TensorInfo;
  m: number;
  k: number;
  n: number;
  outShape: number[];
}

/** Materialises transposes so the operands are plain `[..., M, K]` and `[..., K, N]`. */
function untransposed(call: KernelCall, a: TensorInfo, b: TensorInfo, attrs: Attrs): Operands {
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
  const at = transposeA ? call.transpose(a, swapLast2(a.shape.length)) : a;
  const bt = transposeB ? call.transpose(b, swapLast2(b.shape.length)) : b;
  const m = at.shape[at.shape.length - 2];
  const k = at.shape[at.shape.length - 1];
  const n = bt.shape[bt.shape.length - 1];
  const batch = tf.backend_util.assertAndGetBroadcastShape(at.shape.slice(0, -2), bt.shape.slice(0, -2));
  return { a: at, b: bt, m, k, n, outShape: [...batch, m, n] };
}

/**
 * Runs `kernel` (BatchMatMul or _FusedMatMul) as 2-D products without transposes. `extra` holds
 * the fused kernel's bias / activation inputs, which broadcast over rows and so survive folding.
 */
function fastMatMul(
  call: KernelCall,
  kernel: string,
  a0: TensorInfo,
  b0: TensorInfo,
  attrs: Attrs,
  extra: Record<string, TensorInfo>,
): TensorInfo | null {
  const { a, b, m, k, n, outShape } = untransposed(call, a0, b0, attrs);
  const plain = { ...attrs, transposeA: false, transposeB: false };
  const batchA = batchOf(a.shape);
  const batchB = batchOf(b.shape);
  const extraIsRowwise = Object.values(extra).every((t) => t.shape.length <= 1);
  if (batchB === 1 && (batchA === 1 || extraIsRowwise)) {
    // A stack of A's times one B is one tall 2-D product (a bias over columns broadcasts alike).
    // Rank 3 with a batch of 1: the fused kernel reads its operands as [batch, rows, cols].
    const out = call.final(kernel, { ...extra, a: call.reshape(a, [1, batchA * m, k]), b: call.reshape(b, [1, k, n]) }, plain);
    return reshapeOutput(call, out, outShape);
  }
  if (Object.keys(extra).length > 0 || batchA !== batchB || m * k * n < SPLIT_MIN_MACS) return null;
  const a3 = call.reshape(a, [batchA, m, k]);
  const b3 = call.reshape(b, [batchB, k, n]);
  const parts: TensorInfo[] = [];
  for (let i = 0; i < batchA; i++) {
    const ai = call.slice(a3, [i, 0, 0], [1, m, k]);
    const bi = call.slice(b3, [i, 0, 0], [1, k, n]);
    parts.push(call.run(kernel, { a: ai, b: bi }, plain));
  }
  // Concat takes its inputs as an array, unlike every other kernel.
  const stacked = call.final('Concat', parts as unknown as Record<string, TensorInfo>, { axis: 0 });
  return reshapeOutput(call, stacked, outShape);
}

function isFastAlready(a: TensorInfo, b: TensorInfo, attrs: Attrs): boolean {
  return !attrs.transposeA && !attrs.transposeB && batchOf(a.shape) === 1 && batchOf(b.shape) === 1;
}

export function batchMatMulKernel(original: ReadonlyMap<string, tf.KernelFunc>): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const call = new KernelCall(backend as tf.KernelBackend, original, 'BatchMatMul');
    try {
      const native = nativeOffload()?.matMul(call, a, b, null, attrs ?? {});
      if (native) return native;
      if (isFastAlready(a, b, attrs ?? {})) return call.final('BatchMatMul', { a, b }, attrs);
      return fastMatMul(call, 'BatchMatMul', a, b, attrs ?? {}, {}) ?? call.final('BatchMatMul', { a, b }, attrs);
    } finally {
      call.release();
    }
  };
}

export function fusedMatMulKernel(original: ReadonlyMap<string, tf.KernelFunc>): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { a, b, ...rest } = inputs as Record<string, TensorInfo>;
    const extra = Object.fromEntries(Object.entries(rest).filter(([, v]) => v != null));
    const call = new KernelCall(backend as tf.KernelBackend, original, '_FusedMatMul');
    try {
      const native =
        extra.preluActivationWeights == null ? nativeOffload()?.matMul(call, a, b, extra.bias ?? null, attrs ?? {}) : null;
      if (native) return native;
      if (isFastAlready(a, b, attrs ?? {})) return call.final('_FusedMatMul', inputs as Record<string, TensorInfo>, attrs);
      return (
        fastMatMul(call, '_FusedMatMul', a, b, attrs ?? {}, extra) ??
        call.final('_FusedMatMul', inputs as Record<string, TensorInfo>, attrs)
      );
    } finally {
      call.release();
    }
  };
}
