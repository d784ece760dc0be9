import fs from 'node:fs';
import path from 'node:path';
import { normalizeRows, type TextEncoder } from '../text-encoder.js';

/** The Sentence-Transformers model the paper's targets come from, when a model hub is reachable. */
export const DEFAULT_TRANSFORMERS_MODEL = 'Xenova/all-MiniLM-L6-v2';

export interface TransformersEncoderOptions {
  /**
   * A Hugging Face model id (`Xenova/all-MiniLM-L6-v2`, the default) or a local directory with
   * `config.json`, `tokenizer.json`, `tokenizer_config.json` and `onnx/model.onnx` (as
   * transformers.js and Optimum export them).
   */
  model?: string;
  /** Never reach the network: load from the local directory or the cache only (default false). */
  offline?: boolean;
  /** Where transformers.js caches downloaded models (default: its own cache). */
  cacheDir?: string;
  /** ONNX weights variant (default `fp32`; `q8` etc. when the repository has them). */
  dtype?: 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4';
  /** Texts per forward pass (default 32). */
  batchSize?: number;
  /**
   * Where onnxruntime runs the model: `cpu` (default) or `webgpu` (onnxruntime-node's bundled
   * WebGPU provider through Dawn: a GPU without CUDA; needs a Vulkan driver on Linux).
   */
  device?: 'cpu' | 'webgpu';
}

interface FeatureTensor {
  data: Float32Array;
  dims: number[];
  dispose?(): void;
}
type Extractor = ((texts: string[], o: { pooling: 'mean'; normalize: boolean }) => Promise<FeatureTensor>) & {
  model: { config: { hidden_size?: number; dim?: number; d_model?: number } };
  dispose(): Promise<void>;
};

/**
 * A sentence encoder on @huggingface/transformers (an optional peer dependency): feature
 * extraction with mean pooling over the attention mask, L2-normalised, as Sentence-Transformers
 * computes embeddings. All settings come from `options`; the factory sets transformers.js's
 * `env` from them (local/remote model access) before loading.
 */
export async function createTransformersEncoder(options: TransformersEncoderOptions = {}): Promise<TextEncoder> {
  const { model = DEFAULT_TRANSFORMERS_MODEL, offline = false, dtype = 'fp32', batchSize = 32, device = 'cpu' } = options;
  let lib: typeof import('@huggingface/transformers');
  try {
    lib = await import('@huggingface/transformers');
  } catch (err) {
    throw new Error(`transformers encoder: @huggingface/transformers is not installed (npm install @huggingface/transformers): ${(err as Error).message.split('\n')[0]}`);
  }
  const local = fs.existsSync(model) && fs.statSync(model).isDirectory();
  if (local) {
    for (const f of ['config.json', 'tokenizer.json', path.join('onnx', dtype === 'fp32' ? 'model.onnx' : `model_${dtype === 'q8' ? 'quantized' : dtype}.onnx`)]) {
      if (!fs.existsSync(path.join(model, f))) throw new Error(`${model}: not a transformers.js model directory (no ${f})`);
    }
    // transformers.js resolves local models as <localModelPath>/<id>/.
    lib.env.localModelPath = `${path.dirname(path.resolve(model))}${path.sep}`;
  }
  lib.env.allowLocalModels = true;
  lib.env.allowRemoteModels = !offline && !local;
  if (options.cacheDir) lib.env.cacheDir = options.cacheDir;
  const id = local ? path.basename(path.resolve(model)) : model;
  let extractor: Extractor;
  try {
    extractor = (await lib.pipeline('feature-extraction', id, { dtype, local_files_only: offline || local, device })) as unknown as Extractor;
  } catch (err) {
    const hint = offline ? ' (offline: is it in the cache or a local directory?)' : '';
    throw new Error(`transformers encoder: cannot load ${model}${hint}: ${(err as Error).message.split('\n')[0]}`);
  }
  const config = extractor.model.config;
  const dim = config.hidden_size ?? config.dim ?? config.d_model;
  if (!dim) throw new Error(`transformers encoder: ${model}'s config names no hidden_size`);
  return {
    name: `transformers:${model}`,
    dim,
    async embed(texts) {
      const out = new Float32Array(texts.length * dim);
      for (let start = 0; start < texts.length; start += batchSize) {
        const batch = texts.slice(start, start + batchSize);
        const t = await extractor([...batch], { pooling: 'mean', normalize: true });
        if (t.dims[1] !== dim) throw new Error(`transformers encoder: ${model} returned width ${t.dims[1]}, config says ${dim}`);
        out.set(t.data, start * dim);
        t.dispose?.();
      }
      // transformers.js normalises already; this also rejects zero rows.
      return normalizeRows(out, dim, `${model} embedding`);
    },
    dispose() {
      void extractor.dispose();
    },
  };
}
