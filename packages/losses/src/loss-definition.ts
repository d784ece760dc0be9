import * as tf from '@tensorflow/tfjs-core';
import type { LossQueue } from './queue.js';

/** What a loss may need from the batch, beside the two embedding matrices; a loss ignores the keys it does not use. */
export interface LossContext {
  /** `[N, N]` target similarity of the batch's samples (X-CLR). */
  similarity?: tf.Tensor2D;
  /** One integer class label per sample, `[N]` (SupCon). */
  labels?: tf.Tensor1D | Int32Array | readonly number[];
  /** Multiplier of CLIP's cosine logits; a `tf.Scalar` such as `tf.exp(logScale)` lets the gradient reach it. */
  logitScale?: number | tf.Scalar;
  /**
   * A memory queue of earlier batches' embeddings: X-CLR, NT-Xent and SupCon then use their
   * queued forms (X-CLR reads `queue.similarity`, SupCon `queue.labels`).
   */
  queue?: LossQueue;
}

/** A key of `LossContext`. */
export type ContextKey = keyof LossContext;

/**
 * The call shape every loss shares: `[N, D]` embeddings of two views (for CLIP, image and text
 * embeddings) and the batch's context, to a scalar loss.
 */
export type PairLoss = (zA: tf.Tensor2D, zB: tf.Tensor2D, context?: LossContext) => tf.Scalar;

/** A loss by name: what it needs from the batch, and a factory taking its options once. */
export interface LossDefinition<Options extends object = object, Name extends string = string> {
  readonly name: Name;
  /** The context keys a call must provide. */
  readonly needs: readonly ContextKey[];
  readonly description: string;
  /** The loss with these options; `needs` are checked on every call. */
  create(options?: Options): PairLoss;
}

/** What each context key holds, for the error thrown when a loss misses it. */
const EXPECTED: Record<ContextKey, string> = {
  similarity: "the [N, N] target similarity of the batch's samples (e.g. batchSimilarityFromEmbeddings from @xclr/graph)",
  labels: 'one integer class label per sample: an int32 [N] tf.Tensor1D, an Int32Array or a number[]',
  logitScale: 'a number > 0 or a tf.Scalar such as tf.exp(logScale)',
  queue: 'a memory queue: { embeddings: [Q, D], similarity: [N, Q] (X-CLR), labels: [Q] (SupCon) }',
};

/** The context a loss's body sees: the keys it needs are present. */
export type ProvidedContext<Needs extends ContextKey> = LossContext & { [K in Needs]-?: NonNullable<LossContext[K]> };

/**
 * A definition whose losses check `needs` before the body runs and run it in `tf.tidy`, so that
 * the returned scalar is the only tensor left.
 */
export function defineLoss<Options extends object, Name extends string, Needs extends ContextKey = never>(spec: {
  name: Name;
  needs: readonly Needs[];
  description: string;
  build: (options: Options) => (zA: tf.Tensor2D, zB: tf.Tensor2D, context: ProvidedContext<Needs>) => tf.Scalar;
}): LossDefinition<Options, Name> {
  const { name, needs, description, build } = spec;
  return Object.freeze({
    name,
    needs: Object.freeze([...needs]),
    description,
    create(options = {} as Options): PairLoss {
      const body = build(options);
      return (zA, zB, context = {}) => {
        for (const key of needs) {
          if (context?.[key] == null) {
            const n = zA?.shape?.[0];
            const here = n == null ? '' : ` (N = ${n} here)`;
            throw new Error(`${name} loss needs context.${key}: ${EXPECTED[key]}${here}`);
          }
        }
        return tf.tidy(() => body(zA, zB, context as ProvidedContext<Needs>));
      };
    },
  });
}
