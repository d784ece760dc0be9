import * as tf from '@tensorflow/tfjs-core';
import { type Features, l2NormalizeRows } from './features.js';

export interface RetrievalResult {
  imageToText: Record<number, number>;
  textToImage: Record<number, number>;
}

async function recallAt(query: Features, keys: Features, ks: number[]): Promise<Record<number, number>> {
  // Row i's match is key i: recall@k is the fraction of rows whose match ranks within the top k.
  const kMax = Math.min(Math.max(...ks), keys.rows);
  const q = l2NormalizeRows(query);
  const kk = l2NormalizeRows(keys);
  const top = tf.tidy(
    () =>
      tf.topk(tf.matMul(tf.tensor2d(q.data, [q.rows, q.dim]), tf.tensor2d(kk.data, [kk.rows, kk.dim]), false, true), kMax)
        .indices,
  );
  const idx = await top.data().finally(() => top.dispose());
  const out: Record<number, number> = {};
  for (const k of ks) {
    let hits = 0;
    for (let i = 0; i < q.rows; i++) {
      for (let t = 0; t < Math.min(k, kMax); t++) {
        if (idx[i * kMax + t] === i) {
          hits++;
          break;
        }
      }
    }
    out[k] = hits / q.rows;
  }
  return out;
}

/** Image→caption and caption→image recall@k for paired embeddings (row i of each belongs together). */
export async function retrievalRecall(images: Features, texts: Features, ks: number[] = [1, 5, 10]): Promise<RetrievalResult> {
  if (images.rows !== texts.rows)
    throw new Error(`retrievalRecall: ${images.rows} images but ${texts.rows} captions; rows must pair up`);
  if (images.dim !== texts.dim) throw new Error(`retrievalRecall: image dim ${images.dim} ≠ text dim ${texts.dim}`);
  return { imageToText: await recallAt(images, texts, ks), textToImage: await recallAt(texts, images, ks) };
}
