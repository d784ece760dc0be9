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
  const { variables } = options;
  checkStepOptions('trainStep', options);
  return tidied(() => {
    const { value, grads } = tf.variableGrads(lossFn, variables);
    return applyGradients(value, grads, options);
  });
}

/** tf.tidy for a function that returns plain values: every tensor it makes is disposed. */
export function tidied<T>(f: () => T): T {
  let out: T | undefined;
  tf.tidy(() => {
    out = f();
  });
  return out as T;
}

/** Shared end of a step: global norm, optional clipping, the update; reads back loss and norm. */
export function applyGradients(value: tf.Scalar, grads: tf.NamedTensorMap, options: TrainStepOptions): StepResult {
  const { optimizer, clipNorm } = options;
  return tidied(() => {
    const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
    let applied = grads;
    if (clipNorm !== undefined) {
      const scale = tf.minimum(1, tf.div(clipNorm, tf.add(norm, 1e-6)));
      applied = Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, scale)]));
    }
    optimizer.applyGradients(applied);
    return { loss: value.dataSync()[0], gradNorm: norm.dataSync()[0] };
  });
}

export function checkStepOptions(fn: string, options: TrainStepOptions): void {
  if (options.variables.length === 0) throw new Error(`${fn}: no variables to train`);
  if (options.clipNorm !== undefined && !(options.clipNorm > 0))
    throw new Error(`${fn}: clipNorm must be > 0, got ${options.clipNorm}`);
}
