import * as tf from '@tensorflow/tfjs-core';

export interface TrainStepOptions {
  optimizer: tf.Optimizer;
  /** The variables to train (e.g. `model.trainableWeights`). */
  variables: tf.Variable[];
  /** Clip the global gradient norm to this value (as torch.nn.utils.clip_grad_norm_). */
  clipNorm?: number;
}

export interface StepResult {
  loss: number;
  /** Global L2 norm of the gradients before clipping. */
  gradNorm: number;
}

/**
 * One optimiser step of `lossFn` under tf.tidy: computes gradients of the listed variables, the
 * global gradient norm, clips it if asked, applies the update. Nothing it makes outlives the call.
 */
export function trainStep(lossFn: () => tf.Scalar, options: TrainStepOptions): StepResult {
  const { optimizer, variables, clipNorm } = options;
  if (variables.length === 0) throw new Error('trainStep: no variables to train');
  if (clipNorm !== undefined && !(clipNorm > 0)) throw new Error(`trainStep: clipNorm must be > 0, got ${clipNorm}`);
  const [loss, gradNorm] = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(lossFn, variables);
    const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
    let applied = grads;
    if (clipNorm !== undefined) {
      const scale = tf.minimum(1, tf.div(clipNorm, tf.add(norm, 1e-6)));
      applied = Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, scale)]));
    }
    optimizer.applyGradients(applied);
    return [value, norm];
  });
  const [l, n] = [loss.dataSync()[0], gradNorm.dataSync()[0]];
  tf.dispose([loss, gradNorm]);
  return { loss: l, gradNorm: n };
}
