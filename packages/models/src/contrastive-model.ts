import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { createEncoder, createProjectionHead, type EncoderConfig, encoderWidth, type ProjectionHeadConfig } from './encoders.js';

export interface ContrastiveModelConfig {
  encoder: EncoderConfig;
  /** Projection head; `null` trains the encoder's output directly. */
  head: ProjectionHeadConfig | null;
}

/**
 * An encoder with an optional projection head. Losses see the head's output; evaluation uses the
 * backbone features (SimCLR's finding) or, by choice, the head's output.
 */
export class ContrastiveModel {
  readonly encoder: tfl.LayersModel;
  readonly head: tfl.LayersModel | null;

  constructor(
    readonly config: ContrastiveModelConfig,
    seed?: number,
  ) {
    this.encoder = createEncoder(config.encoder, seed);
    this.head = config.head ? createProjectionHead(encoderWidth(config.encoder), config.head, seed) : null;
  }

  /** Embeddings for the loss (training mode: batch norm uses batch statistics). */
  project(images: tf.Tensor4D, training = true): tf.Tensor2D {
    const features = this.encoder.apply(images, { training }) as tf.Tensor2D;
    return this.head ? (this.head.apply(features, { training }) as tf.Tensor2D) : features;
  }

  /** Features for evaluation, from the backbone (default) or the head, in inference mode. */
  embed(images: tf.Tensor4D, from: 'backbone' | 'head' = 'backbone'): tf.Tensor2D {
    const features = this.encoder.apply(images, { training: false }) as tf.Tensor2D;
    return from === 'head' && this.head ? (this.head.apply(features, { training: false }) as tf.Tensor2D) : features;
  }

  /** Every trainable variable of encoder and head. */
  get trainableWeights(): tf.Variable[] {
    return [...this.encoder.trainableWeights, ...(this.head?.trainableWeights ?? [])].map((w) => w.read() as tf.Variable);
  }

  countParams(): number {
    return this.encoder.countParams() + (this.head?.countParams() ?? 0);
  }

  dispose(): void {
    this.encoder.dispose();
    this.head?.dispose();
  }
}
