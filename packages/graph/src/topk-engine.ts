import { exactTopKOnnx, loadOnnxRuntime, type OnnxTopKOptions } from './onnx/topk-onnx.js';
import { checkTopKOptions, exactTopK, type TopKShard } from './topk.js';

/** `onnxruntime-webgpu`: onnxruntime-node's WebGPU execution provider (a GPU without CUDA). */
export type TopKEngine = 'auto' | 'onnxruntime' | 'onnxruntime-webgpu' | 'tfjs';

/**
 * Exact top-k on the fastest engine present: onnxruntime-node when installed (an optional peer
 * dependency; at or above FAISS's speed on a CPU), else tfjs on the current backend. Returns the
 * graph and which engine made it, with the reason when onnxruntime was passed over.
 */
export async function computeTopK(
  embeddings: Float32Array,
  dim: number,
  source: string,
  options: OnnxTopKOptions & { engine?: TopKEngine },
): Promise<{ graph: TopKShard; engine: 'onnxruntime' | 'tfjs'; note: string }> {
  checkTopKOptions('computeTopK', options); // before onnxruntime loads
  const engine = options.engine ?? 'auto';
  if (engine !== 'tfjs') {
    const { ort, reason } = await loadOnnxRuntime();
    if (ort && engine === 'onnxruntime-webgpu') {
      const graph = await exactTopKOnnx(ort, embeddings, dim, source, { ...options, executionProviders: ['webgpu'] });
      return { graph, engine: 'onnxruntime', note: 'onnxruntime-node (webgpu)' };
    }
    if (ort)
      return {
        graph: await exactTopKOnnx(ort, embeddings, dim, source, options),
        engine: 'onnxruntime',
        note: 'onnxruntime-node',
      };
    if (engine !== 'auto') throw new Error(`--engine ${engine}: ${reason}; npm install onnxruntime-node, or use --engine tfjs`);
    return { graph: await exactTopK(embeddings, dim, source, options), engine: 'tfjs', note: `tfjs (${reason})` };
  }
  return { graph: await exactTopK(embeddings, dim, source, options), engine: 'tfjs', note: 'tfjs (requested)' };
}
