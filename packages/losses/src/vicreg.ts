import * as tf from '@tensorflow/tfjs-core';
import { checkBatchStatistics, checkEmbeddings, checkNonNegative, checkPositive, checkSameShape, fail } from './checks.js';
import { defineLoss } from './loss-definition.js';
import { checkSampleGraph, type SampleGraphOptions, sampleGraph } from './sample-graph.js';
import { notSelfMask } from './two-view.js';

export interface VicregLossOptions {
  /** λ, weight of the invariance term (mean squared error between the views). Default 25. */
  invarianceWeight?: number;
  /** μ, weight of the variance hinge (averaged over the two branches). Default 25. */
  varianceWeight?: number;
  /** ν, weight of the covariance term (summed over the two branches). Default 1. */
  covarianceWeight?: number;
  /** γ, the standard deviation the hinge holds each dimension above. Default 1. */
  varianceTarget?: number;
  /** ε under the square root of the variance, which keeps the gradient finite at zero variance. Default 1e-4. */
  epsilon?: number;
}

export interface VicregGraphLossOptions extends VicregLossOptions, SampleGraphOptions {
  /** `[N, N]` sample graph G: G_ij weighs view A of sample i against view B of sample j. */
  similarity: tf.Tensor2D;
}

function resolve(fn: string, zA: tf.Tensor2D, zB: tf.Tensor2D, options: VicregLossOptions) {
  checkEmbeddings(fn, 'zA', zA);
  checkEmbeddings(fn, 'zB', zB);
  checkSameShape(fn, 'zA', zA, 'zB', zB);
  checkBatchStatistics(fn, zA);
  const { invarianceWeight = 25, varianceWeight = 25, covarianceWeight = 1, varianceTarget = 1, epsilon = 1e-4 } = options;
  checkNonNegative(fn, 'invarianceWeight', invarianceWeight);
  checkNonNegative(fn, 'varianceWeight', varianceWeight);
  checkNonNegative(fn, 'covarianceWeight', covarianceWeight);
  checkNonNegative(fn, 'varianceTarget', varianceTarget);
  checkPositive(fn, 'epsilon', epsilon);
  return { invarianceWeight, varianceWeight, covarianceWeight, varianceTarget, epsilon };
}

type Resolved = ReturnType<typeof resolve>;

/** mean_d relu(γ − √(var_d + ε)) of one branch, with the unbiased variance over the batch. */
function varianceHinge(centred: tf.Tensor2D, gamma: number, epsilon: number): tf.Scalar {
  const variance = tf.div(tf.sum(tf.square(centred), 0), centred.shape[0] - 1);
  return tf.mean(tf.relu(tf.sub(gamma, tf.sqrt(tf.add(variance, epsilon))))) as tf.Scalar;
}

/**
 * Σ_{d≠e} Cov_de² / D of one branch (Cov = Xᵀ X / (N − 1) of the centred X). Up to D = N the
 * [D, D] covariance is formed and its diagonal masked; above, ‖XᵀX‖²_F = ‖X Xᵀ‖²_F on the [N, N]
 * Gram matrix minus the squared variances, so D = 8192 never forms a [D, D] matrix. (Its rank is
 * below N there, so the off-diagonal part never cancels against the diagonal.)
 */
function covariancePenalty(centred: tf.Tensor2D): tf.Scalar {
  const [n, d] = centred.shape;
  if (d <= n) {
    const cov = tf.div(tf.matMul(centred, centred, true, false), n - 1);
    return tf.div(tf.sum(tf.square(tf.mul(cov, notSelfMask(d, d)))), d) as tf.Scalar;
  }
  const gram = tf.div(tf.matMul(centred, centred, false, true), n - 1);
  const variance = tf.div(tf.sum(tf.square(centred), 0), n - 1);
  return tf.div(tf.sub(tf.sum(tf.square(gram)), tf.sum(tf.square(variance))), d) as tf.Scalar;
}

/** μ · (v(A) + v(B)) / 2 + ν · (c(A) + c(B)): the terms that do not pair the views. */
function regularisers(zA: tf.Tensor2D, zB: tf.Tensor2D, o: Resolved): tf.Scalar {
  const a = tf.sub(zA, tf.mean(zA, 0, true)) as tf.Tensor2D;
  const b = tf.sub(zB, tf.mean(zB, 0, true)) as tf.Tensor2D;
  const variance = tf.mul(
    tf.add(varianceHinge(a, o.varianceTarget, o.epsilon), varianceHinge(b, o.varianceTarget, o.epsilon)),
    o.varianceWeight / 2,
  );
  const covariance = tf.mul(tf.add(covariancePenalty(a), covariancePenalty(b)), o.covarianceWeight);
  return tf.add(variance, covariance) as tf.Scalar;
}

/**
 * VICReg (Bardes, Ponce & LeCun, ICLR 2022), as lightly's `VICRegLoss` and the authors' code:
 * λ · mean ‖zA − zB‖² / D + μ · (v(zA) + v(zB)) / 2 + ν · (c(zA) + c(zB)), with
 * v(z) = mean_d relu(γ − √(Var_d z + ε)) and c(z) = Σ_{d≠e} Cov(z)_de² / D (unbiased, over the batch).
 * No L2 normalisation: VICReg works on the raw projections.
 *
 * @param zA `[N, D]` first view of N ≥ 2 samples.
 * @param zB `[N, D]` second view of the same samples.
 */
export function vicregLoss(zA: tf.Tensor2D, zB: tf.Tensor2D, options: VicregLossOptions = {}): tf.Scalar {
  const o = resolve('vicregLoss', zA, zB, options);
  return tf.tidy(
    () => tf.add(tf.mul(tf.mean(tf.squaredDifference(zA, zB)), o.invarianceWeight), regularisers(zA, zB, o)) as tf.Scalar,
  );
}

/**
 * Σ_ij G_ij ‖a_i − b_j‖² / (N D) = tr(Zᵀ L Z) / (N D), Z = [zA; zB] and L the Laplacian of the 2N-node
 * graph [[0, G], [Gᵀ, 0]]: Σ_i r_i ‖a_i‖² + Σ_j c_j ‖b_j‖² − 2 tr(Aᵀ G B) with G's row and column
 * sums r, c. Rows are centred on the mean of both views first (the distances do not change) so
 * that a common offset does not cancel in float32.
 */
function graphInvariance(zA: tf.Tensor2D, zB: tf.Tensor2D, g: tf.Tensor2D): tf.Scalar {
  const [n, d] = zA.shape;
  const centre = tf.mean(tf.concat([zA, zB], 0), 0, true);
  const a = tf.sub(zA, centre) as tf.Tensor2D;
  const b = tf.sub(zB, centre) as tf.Tensor2D;
  const degrees = tf.add(
    tf.sum(tf.mul(tf.sum(g, 1), tf.sum(tf.square(a), 1))),
    tf.sum(tf.mul(tf.sum(g, 0), tf.sum(tf.square(b), 1))),
  );
  const paired = tf.sum(tf.mul(a, tf.matMul(g, b)));
  return tf.div(tf.sub(degrees, tf.mul(paired, 2)), n * d) as tf.Scalar;
}

/**
 * VICReg over a sample graph G (X-CLR's Theorem 1, after Cabannes et al. 2023): the invariance
 * term is Σ_ij G_ij ‖zA_i − zB_j‖² / (N D) = tr(Zᵀ L Z) / (N D), L the Laplacian of the two-view
 * graph [[0, G], [Gᵀ, 0]] over Z = [zA; zB]; variance and covariance are VICReg's. With G = I
 * (each embedding linked to its other view only) it is `vicregLoss` exactly; with a class or
 * caption graph it also pulls related samples' views together ("X-VICReg").
 */
export function vicregGraphLoss(zA: tf.Tensor2D, zB: tf.Tensor2D, options: VicregGraphLossOptions): tf.Scalar {
  const FN = 'vicregGraphLoss';
  if (options == null) fail(FN, 'options.similarity is required: the [N, N] sample graph G');
  const o = resolve(FN, zA, zB, options);
  checkSampleGraph(FN, options.similarity, zA.shape[0], options);
  return tf.tidy(() => {
    const invariance = graphInvariance(zA, zB, sampleGraph(options.similarity, options));
    return tf.add(tf.mul(invariance, o.invarianceWeight), regularisers(zA, zB, o)) as tf.Scalar;
  });
}

/** VICReg by name (`createLoss('vicreg', options)`): needs no context. */
export const vicregDefinition = defineLoss({
  name: 'vicreg',
  needs: [],
  description: 'VICReg: invariance (MSE), variance hinge and covariance penalty per branch (Bardes et al., 2022)',
  build: (options: VicregLossOptions) => (zA, zB) => vicregLoss(zA, zB, options),
});

/** VICReg over the batch's sample graph (`createLoss('vicreg-graph', options)`): G is `context.similarity`. */
export const vicregGraphDefinition = defineLoss({
  name: 'vicreg-graph',
  needs: ['similarity'],
  description: "VICReg whose invariance term is the Laplacian tr(Zᵀ L Z) of the batch's sample graph (X-CLR, Theorem 1)",
  build: (options: Omit<VicregGraphLossOptions, 'similarity'>) => (zA, zB, context) =>
    vicregGraphLoss(zA, zB, { ...options, similarity: context.similarity }),
});
