import * as tf from '@tensorflow/tfjs-core';
import { asHeapBackend, type HeapBackend } from '../core/heap.js';
import type { Attrs, KernelCall, TensorInfo } from '../core/kernel-call.js';
import { DataType, model, node, valueInfo } from '@xclr/onnx-proto';
import type { NativeInput, NativeSessions } from './native-sessions.js';

// XNNPACK in the wasm backend computes with 128-bit SIMD, where onnxruntime's MLAS (native,
// AVX-512, in onnxruntime-node's npm tarball) reaches several times its rate. Large float32
// products therefore run on onnxruntime: operands are copied off the wasm heap (a
// SharedArrayBuffer, which the binding does not accept), multiplied, and the product copied back.
// One ONNX graph per (ranks, transposes, bias, activation), with symbolic dimensions, serves
// every shape. Measured: packages/kernels/README.md, "Native kernels through onnxruntime-node".

/** B is never transposed here: matMulOnNative transposes it on the heap first (see there why). */
export interface MatMulSpec {
  rankA: number;
  rankB: number;
  transposeA: boolean;
  /** Rank of the bias added to the product, or null for none. */
  biasRank: number | null;
  relu: boolean;
}

const dims = (prefix: string, rank: number) => Array.from({ length: rank }, (_, i) => `${prefix}${i}`);
const swapLast2 = (rank: number) => [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];

function matMulModel(s: MatMulSpec): Uint8Array {
  if (s.rankA === 2 && s.rankB === 2 && (s.biasRank ?? 1) <= 2) return gemmModel(s);
  const nodes = [];
  if (s.transposeA) nodes.push(node('Transpose', ['a'], ['at'], [{ name: 'perm', ints: swapLast2(s.rankA) }]));
  let y = 'product';
  nodes.push(node('MatMul', [s.transposeA ? 'at' : 'a', 'b'], [y]));
  if (s.biasRank !== null) {
    nodes.push(node('Add', [y, 'bias'], ['biased']));
    y = 'biased';
  }
  if (s.relu) {
    nodes.push(node('Relu', [y], ['activated']));
    y = 'activated';
  }
  nodes.push(node('Identity', [y], ['y']));
  const inputs = [valueInfo('a', DataType.FLOAT, dims('a', s.rankA)), valueInfo('b', DataType.FLOAT, dims('b', s.rankB))];
  if (s.biasRank !== null) inputs.push(valueInfo('bias', DataType.FLOAT, dims('c', s.biasRank)));
  return model({
    name: 'xclr_matmul',
    opset: 13,
    nodes,
    inputs,
    outputs: [valueInfo('y', DataType.FLOAT, dims('y', Math.max(s.rankA, s.rankB)))],
  });
}

/** The session key and graph of a product (`NativeSessions.run` / `runInto`). */
export function matMulGraph(spec: MatMulSpec): { key: string; build: () => Uint8Array } {
  return { key: `matmul ${JSON.stringify(spec)}`, build: () => matMulModel(spec) };
}

/**
 * 2-D products as Gemm, which folds transA into MLAS's packing (a Transpose node before MatMul
 * ran slower).
 */
function gemmModel(s: MatMulSpec): Uint8Array {
  const inputs = [valueInfo('a', DataType.FLOAT, dims('a', 2)), valueInfo('b', DataType.FLOAT, dims('b', 2))];
  if (s.biasRank !== null) inputs.push(valueInfo('bias', DataType.FLOAT, dims('c', s.biasRank)));
  const gemm = node(
    'Gemm',
    s.biasRank !== null ? ['a', 'b', 'bias'] : ['a', 'b'],
    [s.relu ? 'product' : 'y'],
    [{ name: 'transA', int: s.transposeA ? 1 : 0 }],
  );
  const nodes = s.relu ? [gemm, node('Relu', ['product'], ['y'])] : [gemm];
  return model({ name: 'xclr_gemm', opset: 13, nodes, inputs, outputs: [valueInfo('y', DataType.FLOAT, dims('y', 2))] });
}

/**
 * `a · b` (+ bias, relu) into a new wasm tensor of `outShape`, on onnxruntime. The caller checks
 * the dtypes (float32) and that the product is large enough to pay off. Operands with a batch of
 * one are passed as matrices (Gemm); a 2-D product with an output over the engine's
 * `outputBlockBytes` runs as blocks of A's rows (measured: packages/kernels/README.md).
 */
export function nativeMatMul(
  sessions: NativeSessions,
  backend: HeapBackend,
  spec0: MatMulSpec,
  a: TensorInfo,
  b: TensorInfo,
  bias: TensorInfo | null,
  outShape: number[],
): TensorInfo {
  const single = tf.util.sizeFromShape(outShape.slice(0, -2)) === 1;
  if (!single) {
    const inputs: Record<string, NativeInput> = bias ? { a, b, bias } : { a, b };
    const { key, build } = matMulGraph(spec0);
    return sessions.run(key, build, backend, inputs, outShape);
  }
  const biasShape = bias && bias.shape.length > 2 ? bias.shape.slice(-2) : bias?.shape;
  const spec = { ...spec0, rankA: 2, rankB: 2, biasRank: biasShape ? biasShape.length : null };
  const [m, n] = outShape.slice(-2);
  const rowsPerRun = Math.max(1, Math.floor(sessions.limits.outputBlockBytes / (4 * n)));
  // Blocks of A's rows need them contiguous (no transA) and a bias that is the same for every row.
  const biasPerRow = biasShape == null || tf.util.sizeFromShape(biasShape) === n;
  if (m > rowsPerRun && !spec.transposeA && biasPerRow) {
    return blockedMatMul(sessions, backend, spec, { a, b, bias }, biasShape ?? null, outShape, rowsPerRun);
  }
  const inputs: Record<string, NativeInput> = {
    a: { tensor: a, shape: a.shape.slice(-2) },
    b: { tensor: b, shape: b.shape.slice(-2) },
  };
  if (bias && biasShape) inputs.bias = { tensor: bias, shape: biasShape };
  const { key, build } = matMulGraph(spec);
  return sessions.run(key, build, backend, inputs, outShape, outShape.slice(-2));
}

/** A 2-D product in runs of `rowsPerRun` rows of A (and of the output), each under the block size. */
function blockedMatMul(
  sessions: NativeSessions,
  backend: HeapBackend,
  spec: MatMulSpec,
  operands: { a: TensorInfo; b: TensorInfo; bias: TensorInfo | null },
  biasShape: number[] | null,
  outShape: number[],
  rowsPerRun: number,
): TensorInfo {
  const [m, n] = outShape.slice(-2);
  const k = operands.a.shape[operands.a.shape.length - 1];
  const a = { data: sessions.offHeap('a', backend, operands.a), shape: [m, k] };
  const b = { data: sessions.offHeap('b', backend, operands.b), shape: [k, n] };
  const bias = operands.bias && biasShape ? { data: sessions.offHeap('bias', backend, operands.bias), shape: biasShape } : null;
  const y = sessions.buffer('y', m * n);
  gemmInRowBlocks(sessions, spec, a, b, bias, y, rowsPerRun);
  return sessions.onHeap(backend, y, outShape);
}

type OffHeap = { data: Float32Array; shape: number[] };

/**
 * y = a · b (+ bias, relu; `spec` 2-D without transposes) on values off the heap, `rowsPerRun`
 * rows of a at a time (the engine's output block size).
 */
export function gemmInRowBlocks(
  sessions: NativeSessions,
  spec: MatMulSpec,
  a: OffHeap,
  b: OffHeap,
  bias: OffHeap | null,
  y: Float32Array,
  rowsPerRun = Math.max(1, Math.floor(sessions.limits.outputBlockBytes / (4 * b.shape[1]))),
): void {
  const [m, k] = a.shape;
  const n = b.shape[1];
  const { key, build } = matMulGraph(spec);
  for (let first = 0; first < m; first += rowsPerRun) {
    const rows = Math.min(rowsPerRun, m - first);
    const block = { data: a.data.subarray(first * k, (first + rows) * k), shape: [rows, k] };
    sessions.runInto(key, build, bias ? { a: block, b, bias } : { a: block, b }, {
      data: y.subarray(first * n, (first + rows) * n),
      shape: [rows, n],
    });
  }
}

/**
 * BatchMatMul / _FusedMatMul on onnxruntime where the product is large
 * float32 with no activation or a relu; otherwise null.
 */
export function matMulOnNative(
  engine: NativeSessions,
  call: KernelCall,
  a: TensorInfo,
  b0: TensorInfo,
  bias: TensorInfo | null,
  attrs: Attrs,
): TensorInfo | null {
  if (a.dtype !== 'float32' || b0.dtype !== 'float32' || (bias != null && bias.dtype !== 'float32')) return null;
  const { transposeA, transposeB, activation } = attrs as { transposeA: boolean; transposeB: boolean; activation?: string };
  if (activation !== undefined && activation !== 'linear' && activation !== 'relu') return null;
  const ra = a.shape.length;
  const rb = b0.shape.length;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const n = transposeB ? b0.shape[rb - 2] : b0.shape[rb - 1];
  const batch = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b0.shape.slice(0, -2));
  if (tf.util.sizeFromShape(batch) * m * k * n < engine.limits.matMulMinMacs) return null;
  const outShape = [...batch, m, n];
  if (bias != null && !tf.util.arraysEqual(tf.backend_util.assertAndGetBroadcastShape(outShape, bias.shape), outShape))
    return null;
  // onnxruntime's Gemm with transB ran several times slower than on B transposed first (timings:
  // packages/kernels/README.md); B is usually the smaller operand (weights, embeddings).
  const b = transposeB ? call.transpose(b0, swapLast2(rb)) : b0;
  const spec = { rankA: ra, rankB: rb, transposeA, biasRank: bias ? bias.shape.length : null, relu: activation === 'relu' };
  return nativeMatMul(engine, asHeapBackend(call.backend), spec, a, b, bias, outShape);
}
