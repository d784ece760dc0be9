import * as tf from '@tensorflow/tfjs-core';
import { checkLabels, type Features, l2NormalizeRows } from './features.js';

export interface KnnOptions {
  /** Neighbour counts evaluated in one pass. Default [1, 10, 20, 200]. */
  ks?: number[];
  /** Vote temperature: each neighbour votes exp(cosine / T) (InstDisc, DINO). Default 0.07. */
  temperature?: number;
  /** Test rows per block: memory is O(block × train rows). Default 512. */
  blockSize?: number;
  numClasses?: number;
}

export interface KnnResult {
  /** Top-1 accuracy per k. */
  accuracy: Record<number, number>;
  /** Predicted class per test row, per k. */
  predictions: Record<number, Int32Array>;
}

/**
 * Weighted kNN classification on frozen features with cosine similarity, computed in blocks of test
 * rows (a [block, train] similarity matrix and its top-k at a time), so 60k × 10k fits any machine.
 * Reads back asynchronously, so it runs on every backend (webgpu included).
 */
export async function knnClassify(
  train: Features,
  trainLabels: ArrayLike<number>,
  test: Features,
  testLabels: ArrayLike<number>,
  options: KnnOptions = {},
): Promise<KnnResult> {
  const ks = [...(options.ks ?? [1, 10, 20, 200])].sort((a, b) => a - b);
  const temperature = options.temperature ?? 0.07;
  const blockSize = options.blockSize ?? 512;
  checkLabels('knnClassify train', trainLabels, train.rows);
  checkLabels('knnClassify test', testLabels, test.rows);
  if (train.dim !== test.dim) throw new Error(`knnClassify: train features have dim ${train.dim}, test features ${test.dim}`);
  if (ks.some((k) => !Number.isInteger(k) || k < 1)) throw new Error(`knnClassify: ks must be positive integers, got ${ks}`);
  if (!(temperature > 0)) throw new Error(`knnClassify: temperature must be > 0, got ${temperature}`);
  const numClasses = options.numClasses ?? Math.max(...Array.from(trainLabels)) + 1;
  const kMax = Math.min(ks.at(-1)!, train.rows);
  const trainNorm = l2NormalizeRows(train);
  const testNorm = l2NormalizeRows(test);
  const trainT = tf.tensor2d(trainNorm.data, [train.rows, train.dim]);
  const predictions: Record<number, Int32Array> = Object.fromEntries(ks.map((k) => [k, new Int32Array(test.rows)]));
  const votes = new Float64Array(numClasses);
  try {
    for (let start = 0; start < test.rows; start += blockSize) {
      const rows = Math.min(blockSize, test.rows - start);
      const top = tf.tidy(() => {
        const q = tf.tensor2d(testNorm.data.subarray(start * test.dim, (start + rows) * test.dim), [rows, test.dim]);
        return tf.topk(tf.matMul(q, trainT, false, true), kMax, true);
      });
      const [values, indices] = await Promise.all([top.values.data(), top.indices.data()]).finally(() =>
        tf.dispose([top.values, top.indices]),
      );
      for (let r = 0; r < rows; r++) {
        votes.fill(0);
        let next = 0;
        for (let t = 0; t < kMax; t++) {
          votes[trainLabels[indices[r * kMax + t]]] += Math.exp(values[r * kMax + t] / temperature);
          while (next < ks.length && Math.min(ks[next], kMax) === t + 1) {
            let best = 0;
            for (let c = 1; c < numClasses; c++) if (votes[c] > votes[best]) best = c;
            predictions[ks[next]][start + r] = best;
            next++;
          }
        }
      }
    }
  } finally {
    trainT.dispose();
  }
  const accuracy: Record<number, number> = {};
  for (const k of ks) {
    let correct = 0;
    for (let i = 0; i < test.rows; i++) if (predictions[k][i] === testLabels[i]) correct++;
    accuracy[k] = correct / test.rows;
  }
  return { accuracy, predictions };
}
