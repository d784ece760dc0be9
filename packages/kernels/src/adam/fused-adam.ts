import * as tf from '@tensorflow/tfjs-core';
import { ADAM_UPDATE, type AdamUpdateAttrs, registerAdamKernels } from './adam-kernel.js';

/** The state tf.AdamOptimizer keeps (private in its typings), which this subclass shares. */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
  iterations: number;
  incrementIterations(): void;
}

/**
 * tf.AdamOptimizer whose step is one kernel per variable (XclrAdamUpdate: WebAssembly SIMD on
 * wasm, one JavaScript loop on cpu) instead of 13 elementwise kernels, each a pass over the
 * variable with an output to allocate; elsewhere (tfjs-node) it is tf.AdamOptimizer's own step.
 * Same state, weights and config as tf.train.adam, so checkpoints move between the two.
 */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  constructor(learningRate: number, beta1: number, beta2: number, epsilon: number | null = null) {
    super(learningRate, beta1, beta2, epsilon as number);
    registerAdamKernels();
  }

  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    const entries = Array.isArray(variableGradients)
      ? variableGradients.map((g) => [g.name, g.tensor] as const)
      : Object.entries(variableGradients as tf.NamedTensorMap);
    const fused =
      tf.getKernel(ADAM_UPDATE, tf.getBackend()) != null &&
      entries.every(
        ([name, g]) => g == null || (g.dtype === 'float32' && tf.engine().registeredVariables[name]?.dtype === 'float32'),
      );
    if (!fused) {
      super.applyGradients(variableGradients);
      return;
    }
    const self = this as unknown as AdamState;
    // tf.AdamOptimizer divides by 1 − accBeta, where accBeta = βᵗ for step t = iterations + 1.
    const t = self.iterations + 1;
    const attrs: AdamUpdateAttrs = {
      learningRate: self.learningRate,
      beta1: self.beta1,
      beta2: self.beta2,
      epsilon: self.epsilon,
      correction1: 1 / (1 - self.beta1 ** t),
      correction2: 1 / (1 - self.beta2 ** t),
    };
    tf.tidy(() => {
      entries.forEach(([name, gradient], i) => {
        const value = tf.engine().registeredVariables[name];
        self.accumulatedFirstMoment[i] ??= {
          originalName: `${name}/m`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        self.accumulatedSecondMoment[i] ??= {
          originalName: `${name}/v`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        if (gradient == null) return;
        const m = self.accumulatedFirstMoment[i].variable;
        const v = self.accumulatedSecondMoment[i].variable;
        const [newValue, newM, newV] = tf
          .engine()
          .runKernel(ADAM_UPDATE, { value, m, v, gradient }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        m.assign(newM);
        v.assign(newV);
        value.assign(newValue);
      });
      // Kept as tf.AdamOptimizer keeps them, for a step taken by its own code after this one.
      self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2));
    });
    self.incrementIterations();
  }
}

/**
 * Adam as `tf.train.adam(learningRate, beta1, beta2, epsilon)`, with a fused step on wasm and cpu
 * (see FusedAdamOptimizer). Defaults as tf.train.adam: β₁ 0.9, β₂ 0.999, ε the backend's.
 */
export function fusedAdam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null): FusedAdamOptimizer {
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon);
}
