import { planTopK, type TopKOptions, type TopKShard } from '../topk.js';
import { DataType, model, node, valueInfo } from '@xclr/onnx-proto';

/** The parts of onnxruntime-node this module uses (an optional peer dependency). */
interface Ort {
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: string, data: Float32Array | BigInt64Array, dims: number[]) => OrtTensor;
}
interface OrtTensor {
  data: Float32Array | BigInt64Array;
  dims: readonly number[];
  dispose?(): void;
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

/** onnxruntime-node, or null with the reason when it is not installed. */
export async function loadOnnxRuntime(): Promise<{ ort: Ort | null; reason: string }> {
  try {
    const mod = (await import('onnxruntime-node')) as unknown as Ort & { default?: Ort };
    return { ort: mod.InferenceSession ? mod : (mod.default as Ort), reason: 'onnxruntime-node' };
  } catch (err) {
    return { ort: null, reason: `onnxruntime-node is not installed (${(err as Error).message.split('\n')[0]})` };
  }
}

/**
 * The similarity top-k graph: scores = queries · keysᵀ, then TopK along the keys. The transposed
 * keys are an input (as a constant initializer they made session creation slower than the whole
 * search: onnxruntime parsed, copied and folded 150 MB of protobuf). Dynamic query count; opset 13.
 */
function topKModel(dim: number, n: number): Uint8Array {
  return model({
    name: 'xclr_similarity_topk',
    opset: 13,
    nodes: [node('MatMul', ['queries', 'keys_t'], ['scores']), node('TopK', ['scores', 'k'], ['values', 'indices'], [{ name: 'axis', int: -1 }, { name: 'largest', int: 1 }, { name: 'sorted', int: 1 }])],
    inputs: [valueInfo('queries', DataType.FLOAT, ['q', dim]), valueInfo('keys_t', DataType.FLOAT, [dim, n]), valueInfo('k', DataType.INT64, [1])],
    outputs: [valueInfo('values', DataType.FLOAT, ['q', 'k_out']), valueInfo('indices', DataType.INT64, ['q', 'k_out'])],
  });
}

export interface OnnxTopKOptions extends TopKOptions {
  /** onnxruntime intra-op threads (default: onnxruntime's, one per core). */
  threads?: number;
  /**
   * onnxruntime execution providers in order of preference (default: its CPU provider), e.g.
   * `['webgpu']`: onnxruntime-node's bundled WebGPU provider (Dawn), for a GPU without CUDA.
   */
  executionProviders?: string[];
}

/**
 * Exact cosine top-k of every row among all rows (self excluded), best first, on onnxruntime:
 * the same result as `exactTopK` (ties aside), several times faster on a CPU. Each block asks
 * for k + 1 neighbours and drops the row itself (or, if the row ties out of its own list, the last).
 */
export async function exactTopKOnnx(ort: Ort, embeddings: Float32Array, dim: number, source: string, options: OnnxTopKOptions): Promise<TopKShard> {
  // 256-row blocks keep each block's scores (256 × N) close to the cache; larger blocks ran slower
  // (measured: packages/graph/README.md, "Measured"; bench/topk.bench.ts).
  const { n, k, blockRows, shard, blocks: mine, rows, neighbors, scores } = planTopK('exactTopKOnnx', embeddings, dim, options, 256);
  const myRows = rows.length;
  const keysT = new Float32Array(dim * n);
  for (let r = 0; r < n; r++) for (let c = 0; c < dim; c++) keysT[c * n + r] = embeddings[r * dim + c];
  const kk = Math.min(k + 1, n);
  const session = await ort.InferenceSession.create(topKModel(dim, n), {
    graphOptimizationLevel: 'all',
    ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
    ...(options.executionProviders ? { executionProviders: options.executionProviders } : {}),
  });
  const keys = new ort.Tensor('float32', keysT, [dim, n]);
  const kTensor = new ort.Tensor('int64', BigInt64Array.from([BigInt(kk)]), [1]);
  let done = 0;
  try {
    for (const b of mine) {
      const start = b * blockRows;
      const size = Math.min(blockRows, n - start);
      const queries = new ort.Tensor('float32', embeddings.subarray(start * dim, (start + size) * dim), [size, dim]);
      const out = await session.run({ queries, keys_t: keys, k: kTensor });
      const values = out.values.data as Float32Array;
      const indices = out.indices.data as BigInt64Array;
      for (let r = 0; r < size; r++) {
        const row = start + r;
        rows[done + r] = row;
        let w = 0;
        for (let t = 0; t < kk && w < k; t++) {
          const j = Number(indices[r * kk + t]);
          if (j === row) continue;
          neighbors[(done + r) * k + w] = j;
          scores[(done + r) * k + w] = values[r * kk + t];
          w++;
        }
      }
      queries.dispose?.();
      out.values.dispose?.();
      out.indices.dispose?.();
      done += size;
      options.onProgress?.(done, myRows);
    }
  } finally {
    await session.release();
  }
  return { k, rows, neighbors, scores, source, shard, totalRows: n };
}
