import * as tf from '@tensorflow/tfjs-core';
import { checkBatchStatistics, checkEmbeddings, checkNonNegative, checkPositive, checkSameShape, fail } from './checks.js';
import { defineLoss } from './loss-definition.js';
import { checkSampleGraph, type SampleGraphOptions, sampleGraph } from './sample-graph.js';
import { notSelfMask } from './two-view.js';

export interface BarlowTwinsLossOptions {
  /** λ, weight of the redundancy-reduction (off-diagonal) term. Default 5e-3. */
  redundancyWeight?: number;
  /** ε of the batch normalisation, added to the variance (as `BatchNorm1d`). Default 1e-5. */
  epsilon?: number;
}

export interface BarlowTwinsGraphLossOptions extends BarlowTwinsLossOptions, SampleGraphOptions {
  /** `[N, N]` sample graph G: G_ij weighs view A of sample i against view B of sample j. */
  similarity: tf.Tensor2D;
}

function resolve(fn: string, zA: tf.Tensor2D, zB: tf.Tensor2D, options: BarlowTwinsLossOptions) {
  checkEmbeddings(fn, 'zA', zA);
  checkEmbeddings(fn, 'zB', zB);
  checkSameShape(fn, 'zA', zA, 'zB', zB);
  checkBatchStatistics(fn, zA);
  const { redundancyWeight = 5e-3, epsilon = 1e-5 } = options;
  checkNonNegative(fn, 'redundancyWeight', redundancyWeight);
  checkPositive(fn, 'epsilon', epsilon);
  return { redundancyWeight, epsilon };
}

/** Per-dimension batch normalisation without affine parameters: (z − mean) / √(biased var + ε). */
function batchNormalise(z: tf.Tensor2D, epsilon: number): tf.Tensor2D {
  const centred = tf.sub(z, tf.mean(z, 0, true));
  return tf.mul(centred, tf.rsqrt(tf.add(tf.mean(tf.square(centred), 0, true), epsilon))) as tf.Tensor2D;
}

/**
 * Σ_d (1 − C_dd)² + λ Σ_{d≠e} C_de² of C = aᵀ b / N. Up to D = N the [D, D] matrix is formed and
 * its diagonal masked; above, ‖aᵀ b‖²_F = Σ (a aᵀ) ⊙ (b bᵀ) on [N, N] Gram matrices, so large D
 * never forms a [D, D] matrix.
 */
function barlowOf(a: tf.Tensor2D, b: tf.Tensor2D, redundancyWeight: number): tf.Scalar {
  const [n, d] = a.shape;
  const diagonal = tf.div(tf.sum(tf.mul(a, b), 0), n);
  const invariance = tf.sum(tf.square(tf.sub(1, diagonal)));
  let offDiagonal: tf.Scalar;
  if (d <= n) {
    const c = tf.div(tf.matMul(a, b, true, false), n);
    offDiagonal = tf.sum(tf.square(tf.mul(c, notSelfMask(d, d))));
  } else {
    const frobenius = tf.div(tf.sum(tf.mul(tf.matMul(a, a, false, true), tf.matMul(b, b, false, true))), n * n);
    offDiagonal = tf.sub(frobenius, tf.sum(tf.square(diagonal)));
  }
  return tf.add(invariance, tf.mul(offDiagonal, redundancyWeight)) as tf.Scalar;
}

/**
 * Barlow Twins (Zbontar et al., ICML 2021): C = ẑAᵀ ẑB / N of the views batch-normalised per
 * dimension (biased variance over the batch, ε = 1e-5, as the authors' `BatchNorm1d(affine=False)`
 * and lightly's `BarlowTwinsLoss`), loss = Σ_i (1 − C_ii)² + λ Σ_{i≠j} C_ij².
 *
 * @param zA `[N, D]` first view of N ≥ 2 samples.
 * @param zB `[N, D]` second view of the same samples.
 */
export function barlowTwinsLoss(zA: tf.Tensor2D, zB: tf.Tensor2D, options: BarlowTwinsLossOptions = {}): tf.Scalar {
  const { redundancyWeight, epsilon } = resolve('barlowTwinsLoss', zA, zB, options);
  return tf.tidy(() => barlowOf(batchNormalise(zA, epsilon), batchNormalise(zB, epsilon), redundancyWeight));
}

/**
 * Barlow Twins over a sample graph G (X-CLR's Theorem 1, after Cabannes et al. 2023): the
 * cross-correlation pairs view A of sample i with view B of sample j with weight G_ij,
 * C_G = ẑAᵀ G ẑB / N (the A–B block of Ẑᵀ [[0, G], [Gᵀ, 0]] Ẑ / N), and the loss is Barlow Twins'
 * of C_G. With G = I it is `barlowTwinsLoss` exactly; with a permutation P it is
 * `barlowTwinsLoss(zA, P zB)`.
 */
export function barlowTwinsGraphLoss(zA: tf.Tensor2D, zB: tf.Tensor2D, options: BarlowTwinsGraphLossOptions): tf.Scalar {
  const FN = 'barlowTwinsGraphLoss';
  if (options == null) fail(FN, 'options.similarity is required: the [N, N] sample graph G');
  const { redundancyWeight, epsilon } = resolve(FN, zA, zB, options);
  checkSampleGraph(FN, options.similarity, zA.shape[0], options);
  return tf.tidy(() => {
    const smoothed = tf.matMul(sampleGraph(options.similarity, options), batchNormalise(zB, epsilon)) as tf.Tensor2D;
    return barlowOf(batchNormalise(zA, epsilon), smoothed, redundancyWeight);
  });
}

/** Barlow Twins by name (`createLoss('barlow', options)`): needs no context. */
export const barlowTwinsDefinition = defineLoss({
  name: 'barlow',
  needs: [],
  description: "Barlow Twins: the batch-normalised views' cross-correlation driven to the identity (Zbontar et al., 2021)",
  build: (options: BarlowTwinsLossOptions) => (zA, zB) => barlowTwinsLoss(zA, zB, options),
});

/** Barlow Twins over the batch's sample graph (`createLoss('barlow-graph', options)`): G is `context.similarity`. */
export const barlowTwinsGraphDefinition = defineLoss({
  name: 'barlow-graph',
  needs: ['similarity'],
  description: "Barlow Twins of the G-weighted cross-correlation ẑAᵀ G ẑB / N over the batch's sample graph (X-CLR, Theorem 1)",
  build: (options: Omit<BarlowTwinsGraphLossOptions, 'similarity'>) => (zA, zB, context) =>
    barlowTwinsGraphLoss(zA, zB, { ...options, similarity: context.similarity }),
});
