import * as tf from '@tensorflow/tfjs-core';
import { checkPositive, checkSimilarity, fail } from './checks.js';

/** How the graph forms of VICReg and Barlow Twins read their `[N, N]` sample graph. */
export interface SampleGraphOptions {
  /**
   * Without it (default) G is `similarity` as given: G_ij weighs view A of sample i against
   * view B of sample j, so the identity is the two-view augmentation graph; weights should be ≥ 0.
   * With it, G is the row softmax of `similarity / targetTemperature`: X-CLR's target graph
   * (`mode: 'cross'`), non-negative with rows summing to 1, for raw cosine similarities.
   */
  targetTemperature?: number;
}

/** Checks the graph and its option before any tensor is made (call outside `tf.tidy`). */
export function checkSampleGraph(fn: string, similarity: tf.Tensor | undefined, n: number, options: SampleGraphOptions): void {
  if (similarity == null) fail(fn, `options.similarity is required: the [${n}, ${n}] sample graph G`);
  checkSimilarity(fn, similarity, n);
  if (options.targetTemperature !== undefined) checkPositive(fn, 'targetTemperature', options.targetTemperature);
}

/** G: the similarity as given, or its row softmax at `targetTemperature`. */
export function sampleGraph(similarity: tf.Tensor2D, options: SampleGraphOptions): tf.Tensor2D {
  const { targetTemperature } = options;
  if (targetTemperature === undefined) return similarity;
  return tf.tidy(() => tf.softmax(tf.div(similarity, targetTemperature)) as tf.Tensor2D);
}
