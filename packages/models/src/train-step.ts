import * as tf from '@tensorflow/tfjs-core';
import { releaseTapeEarly } from './release-tape-early.js';

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
 * A step's loss and gradient norm still on the device: the caller reads them when it needs them
 * (`readStep`, or several steps' at once) and disposes them. On a GPU backend, not reading every
 * step lets the next steps queue up behind this one instead of waiting for it.
 */
// A type, not an interface: tf.tidy returns it as a tensor container.
export type StepTensors = {
  loss: tf.Scalar;
  gradNorm: tf.Scalar;
};

/**
 * One optimiser step of `lossFn` under tf.tidy: computes gradients of the listed variables, the
 * global gradient norm, clips it if asked, applies the update. Nothing it makes outlives the call.
 */
export function trainStep(lossFn: () => tf.Scalar, options: TrainStepOptions): StepResult {
  return readStepSync(trainStepTensors(lossFn, options));
}

/**
 * `trainStep` without reading anything back: the update is applied and the loss and gradient norm
 * are returned as tensors for the caller to read (`await readStep(result)`) and dispose. The form
 * for backends that cannot read synchronously (webgpu in Node) and for loops that read only on log
 * steps.
 */
export function trainStepTensors(lossFn: () => tf.Scalar, options: TrainStepOptions): StepTensors {
  const { variables } = options;
  checkStepOptions('trainStep', options);
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(releaseTapeEarly(lossFn), variables);
    return applyGradients(value, grads, options);
  });
}

/** Reads a step's values (one device read) and disposes its tensors. */
export async function readStep(step: StepTensors): Promise<StepResult> {
  try {
    const both = tf.stack([step.loss, step.gradNorm]);
    const [loss, gradNorm] = await both.data();
    both.dispose();
    return { loss, gradNorm };
  } finally {
    tf.dispose([step.loss, step.gradNorm]);
  }
}

/** `readStep` for backends that read synchronously. */
export function readStepSync(step: StepTensors): StepResult {
  try {
    return { loss: step.loss.dataSync()[0], gradNorm: step.gradNorm.dataSync()[0] };
  } finally {
    tf.dispose([step.loss, step.gradNorm]);
  }
}

/** `@xclr/kernels`' wasm kernel for Σ x² (one pass, no squared copy), used where it is registered. */
export const SUM_OF_SQUARES_KERNEL = 'XclrSumOfSquares';

/** Σ g², as tf.sum(tf.square(g)). */
function sumOfSquares(g: tf.Tensor): tf.Scalar {
  if (g.dtype === 'float32' && tf.getKernel(SUM_OF_SQUARES_KERNEL, tf.getBackend()) != null) {
    return tf.engine().runKernel(SUM_OF_SQUARES_KERNEL, { x: g }) as tf.Scalar;
  }
  return tf.sum(tf.square(g));
}

/**
 * Shared end of a step: global norm, optional clipping, the update. Returns the loss and the norm
 * as tensors (call it inside a tidy that returns them).
 */
export function applyGradients(value: tf.Scalar, grads: tf.NamedTensorMap, options: TrainStepOptions): StepTensors {
  const { optimizer, clipNorm } = options;
  return tf.tidy(() => {
    // A running sum rather than one addN: webgpu binds every addN input as a storage buffer, and
    // devices allow as few as 8 per shader stage (a ResNet has 60 gradients).
    const norm: tf.Scalar = tf.sqrt(
      Object.values(grads).reduce<tf.Scalar>((total, g) => tf.add(total, sumOfSquares(g)), tf.scalar(0)),
    );
    let applied = grads;
    if (clipNorm !== undefined) {
      const scale = tf.minimum(1, tf.div(clipNorm, tf.add(norm, 1e-6)));
      applied = Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, scale)]));
    }
    optimizer.applyGradients(applied);
    return { loss: tf.clone(value), gradNorm: norm };
  });
}

export function checkStepOptions(fn: string, options: TrainStepOptions): void {
  if (options.variables.length === 0) throw new Error(`${fn}: no variables to train`);
  if (options.clipNorm !== undefined && !(options.clipNorm > 0))
    throw new Error(`${fn}: clipNorm must be > 0, got ${options.clipNorm}`);
}
