import * as tf from '@tensorflow/tfjs-core';
import { checkEmbeddings, checkPositive, checkSameShape, fail } from './checks.js';
import { defineLoss } from './loss-definition.js';
import { maybeNormalize } from './normalize.js';
import { softTargetCrossEntropy } from './soft-target-cross-entropy.js';
import { identityMatrix } from './two-view.js';

export interface ClipLossOptions {
  /**
   * Multiplier of the cosine logits: a number, or a `tf.Scalar` such as `tf.exp(logScale)` of a
   * learnable variable so that the gradient reaches it. Default 1 / 0.07, CLIP's initial value.
   */
  logitScale?: number | tf.Scalar;
  /** L2-normalise the embeddings first (default true). */
  normalize?: boolean;
}

/**
 * CLIP's symmetric InfoNCE (Radford et al., 2021), as OpenCLIP's `ClipLoss`: image i's positive
 * is text i and vice versa; the mean of the image→text and text→image cross-entropies. Its target
 * graph is the image–text identity.
 */
export function clipLoss(imageEmb: tf.Tensor2D, textEmb: tf.Tensor2D, options: ClipLossOptions = {}): tf.Scalar {
  const FN = 'clipLoss';
  const { logitScale = 1 / 0.07, normalize = true } = options;
  checkEmbeddings(FN, 'imageEmb', imageEmb);
  checkEmbeddings(FN, 'textEmb', textEmb);
  checkSameShape(FN, 'imageEmb', imageEmb, 'textEmb', textEmb);
  if (typeof logitScale === 'number') checkPositive(FN, 'logitScale', logitScale);
  else if (logitScale == null || logitScale.rank !== 0) fail(FN, 'logitScale must be a number or a scalar tensor');
  return tf.tidy(() => {
    const image = maybeNormalize(imageEmb, normalize);
    const text = maybeNormalize(textEmb, normalize);
    const logitsPerImage = tf.mul(tf.matMul(image, text, false, true), logitScale) as tf.Tensor2D;
    const identity = identityMatrix(image.shape[0]);
    const imageToText = softTargetCrossEntropy(logitsPerImage, identity);
    const textToImage = softTargetCrossEntropy(tf.transpose(logitsPerImage), identity);
    return tf.mul(tf.add(imageToText, textToImage), 0.5) as tf.Scalar;
  });
}

/**
 * CLIP by name (`createLoss('clip', options)`): zA are image embeddings, zB text embeddings. A
 * call's `context.logitScale` (e.g. `tf.exp(logScale)` of a learnable variable) takes precedence
 * over `options.logitScale`.
 */
export const clipDefinition = defineLoss({
  name: 'clip',
  needs: [],
  description: "CLIP's symmetric InfoNCE between image (zA) and text (zB) embeddings, logit scale from context or options",
  build: (options: ClipLossOptions) => (zA, zB, context) =>
    clipLoss(zA, zB, { ...options, logitScale: context.logitScale ?? options.logitScale }),
});
