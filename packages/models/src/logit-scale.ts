import * as tf from '@tensorflow/tfjs-core';

/**
 * CLIP's learnable temperature as OpenCLIP keeps it: a variable holding log(scale), initialised to
 * log(1/0.07), whose exp multiplies the cosine logits, clamped to at most 100 after every step.
 */
export class LogitScale {
  readonly logScale: tf.Variable;

  constructor(
    init = 1 / 0.07,
    readonly max = 100,
    name = 'logit_scale',
  ) {
    if (!(init > 0) || !(max >= init)) throw new Error(`LogitScale: need 0 < init ≤ max, got init ${init}, max ${max}`);
    this.logScale = tf.variable(tf.scalar(Math.log(init)), true, `${name}_${Math.random().toString(36).slice(2, 8)}`);
  }

  /** exp(logScale): pass to `clipLoss({ logitScale })` inside the loss closure. */
  value(): tf.Scalar {
    return tf.exp(this.logScale) as tf.Scalar;
  }

  /** Clamps logScale to [0, log(max)] (call after each optimiser step, as OpenCLIP does). */
  clamp(): void {
    tf.tidy(() => this.logScale.assign(tf.clipByValue(this.logScale, 0, Math.log(this.max))));
  }

  /** exp(logScale) read synchronously (backends that can: cpu, wasm, tfjs-node). */
  current(): number {
    return Math.exp(this.logScale.dataSync()[0]);
  }

  /** exp(logScale) read asynchronously (any backend, webgpu included). */
  async read(): Promise<number> {
    return Math.exp((await this.logScale.data())[0]);
  }

  dispose(): void {
    this.logScale.dispose();
  }
}
