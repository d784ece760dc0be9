import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { applyReleasing } from './apply-releasing.js';
import { takesBatchGroups } from './batch-normalization-layer.js';
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
/** Layers whose training-mode output for one sample depends on the rest of its batch. */
const BATCH_DEPENDENT_LAYERS = new Set(['BatchNormalization']);

/**
 * Whether a layer of `model` (batch norm) makes one sample's training-mode output depend on the
 * rest of its batch: such a model cannot be run on chunks of a batch with the same result.
 */
export function isBatchDependent(model: tfl.LayersModel): boolean {
  return model.layers.some(
    (l) => BATCH_DEPENDENT_LAYERS.has(l.getClassName()) || ('layers' in l && isBatchDependent(l as tfl.LayersModel)),
  );
}

/**
 * Whether every batch-dependent layer of `model` normalises groups of a batch on its own
 * statistics (this package's batchNormalization: `batchGroups`), so equal groups of one batch
 * give what separate calls would.
 */
function takesBatchGroupsThroughout(model: tfl.LayersModel): boolean {
  return model.layers.every((l) =>
    'layers' in l
      ? takesBatchGroupsThroughout(l as tfl.LayersModel)
      : !BATCH_DEPENDENT_LAYERS.has(l.getClassName()) || takesBatchGroups(l),
  );
}

export class ContrastiveModel {
  readonly encoder: tfl.LayersModel;
  readonly head: tfl.LayersModel | null;
  /**
   * Whether a layer (batch norm) normalises over the batch in training: one plain pass over both
   * views would then mix their statistics (see `viewsInOnePass` for how `projectViews` avoids it).
   */
  readonly batchDependent: boolean;
  /**
   * Whether each batch-dependent layer can normalise the two views of a batch apart within one
   * pass (this package's batchNormalization), so `projectViews` encodes them in one pass anyway.
   */
  readonly viewsInOnePass: boolean;

  constructor(
    readonly config: ContrastiveModelConfig,
    seed?: number,
  ) {
    this.encoder = createEncoder(config.encoder, seed);
    this.head = config.head ? createProjectionHead(encoderWidth(config.encoder), config.head, seed) : null;
    this.batchDependent = isBatchDependent(this.encoder) || (this.head != null && isBatchDependent(this.head));
    this.viewsInOnePass =
      !this.batchDependent ||
      (takesBatchGroupsThroughout(this.encoder) && (this.head == null || takesBatchGroupsThroughout(this.head)));
  }

  /** Embeddings for the loss (training mode: batch norm uses batch statistics). */
  project(images: tf.Tensor4D, training = true): tf.Tensor2D {
    return this.projectGroups(images, training, 1);
  }

  /** `project` with batch norm normalising `groups` equal groups of the batch apart. */
  private projectGroups(images: tf.Tensor4D, training: boolean, groups: number): tf.Tensor2D {
    const kwargs = groups === 1 ? { training } : { training, batchGroups: groups };
    // Layer outputs are freed as soon as no later layer reads them, in training too.
    const features = applyReleasing(this.encoder, images, kwargs) as tf.Tensor2D;
    return this.head ? (applyReleasing(this.head, features, kwargs) as tf.Tensor2D) : features;
  }

  /**
   * Embeddings of two views of a batch, `[project(a), project(b)]`. Where the views have one shape
   * and no layer depends on the batch (see `batchDependent`), or each such layer normalises the
   * two halves of a batch apart (this package's batchNormalization: see `viewsInOnePass`), both go
   * through the model as one batch of 2N: the same values, gradients and moving statistics with
   * half the kernels, each twice as large (shorter MLP and ResNet-18 training steps on the wasm
   * backend: packages/models/README.md).
   */
  projectViews(a: tf.Tensor4D, b: tf.Tensor4D, training = true): [tf.Tensor2D, tf.Tensor2D] {
    const sameShape = a.shape.every((d, i) => d === b.shape[i]);
    const grouped = training && this.batchDependent;
    if (!sameShape || (grouped && !this.viewsInOnePass)) return [this.project(a, training), this.project(b, training)];
    return tf.tidy(() => {
      const both = this.projectGroups(tf.concat([a, b]) as tf.Tensor4D, training, grouped ? 2 : 1);
      return tf.split(both, 2) as [tf.Tensor2D, tf.Tensor2D];
    });
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
