import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/**
 * LiT-style text tower: a trainable linear projection over frozen caption embeddings (e.g. from
 * @xclr/graph's encoders), so CLIP can be trained without training a text encoder.
 */
export function createTextProjection(inputDim: number, outputDim: number, seed?: number): tfl.LayersModel {
  const input = tfl.input({ shape: [inputDim] });
  const out = tfl.layers
    .dense({
      units: outputDim,
      kernelInitializer: seed === undefined ? 'glorotUniform' : tfl.initializers.glorotUniform({ seed }),
    })
    .apply(input) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: 'text_projection' });
}

const PAD = 0;
const UNKNOWN = 1;

/** A word vocabulary built from captions: lower-cased words, the `size − 2` most frequent. */
export class Vocabulary {
  readonly words: string[];
  private readonly index: Map<string, number>;

  constructor(words: string[]) {
    this.words = ['<pad>', '<unk>', ...words];
    this.index = new Map(this.words.map((w, i) => [w, i]));
  }

  static fromCaptions(captions: readonly string[], size = 2000): Vocabulary {
    const counts = new Map<string, number>();
    for (const c of captions) for (const w of Vocabulary.tokenize(c)) counts.set(w, (counts.get(w) ?? 0) + 1);
    const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([w]) => w);
    return new Vocabulary(ranked.slice(0, Math.max(0, size - 2)));
  }

  static tokenize(text: string): string[] {
    return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  }

  get size(): number {
    return this.words.length;
  }

  /** Token ids `[N, maxLength]` (int32), padded with 0, unknown words as 1. */
  encode(captions: readonly string[], maxLength: number): tf.Tensor2D {
    const ids = new Int32Array(captions.length * maxLength);
    captions.forEach((c, i) => {
      Vocabulary.tokenize(c)
        .slice(0, maxLength)
        .forEach((w, t) => {
          ids[i * maxLength + t] = this.index.get(w) ?? UNKNOWN;
        });
    });
    return tf.tensor2d(ids, [captions.length, maxLength], 'int32');
  }
}

export interface TextEncoderConfig {
  vocabularySize: number;
  maxLength: number;
  embedDim: number;
  outputDim: number;
  /** `mean`: masked mean of token embeddings; `attention`: one self-attention layer, then masked mean. */
  pooling: 'mean' | 'attention';
}

/**
 * A small trainable text encoder for the CLIP baseline: token embeddings, optionally one
 * single-head self-attention layer with a residual, masked mean pooling and a projection.
 */
export class SmallTextEncoder {
  readonly embedding: tf.Variable;
  readonly query: tf.Variable | null;
  readonly key: tf.Variable | null;
  readonly value: tf.Variable | null;
  readonly projection: tf.Variable;

  constructor(
    readonly config: TextEncoderConfig,
    seed = 0,
  ) {
    const { vocabularySize, embedDim, outputDim } = config;
    const init = (shape: number[], k: number) =>
      tf.variable(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed + k), 1 / Math.sqrt(shape[0])));
    this.embedding = init([vocabularySize, embedDim], 1);
    const attention = config.pooling === 'attention';
    this.query = attention ? init([embedDim, embedDim], 2) : null;
    this.key = attention ? init([embedDim, embedDim], 3) : null;
    this.value = attention ? init([embedDim, embedDim], 4) : null;
    this.projection = init([embedDim, outputDim], 5);
  }

  get trainableWeights(): tf.Variable[] {
    return [this.embedding, this.query, this.key, this.value, this.projection].filter((v): v is tf.Variable => v != null);
  }

  /** `[N, maxLength]` int32 token ids → `[N, outputDim]` embeddings. */
  apply(ids: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const [n, t] = ids.shape;
      const d = this.config.embedDim;
      const mask = tf.cast(tf.notEqual(ids, PAD), 'float32'); // [N, T]
      let h = tf.reshape(tf.gather(this.embedding, tf.reshape(ids, [-1])), [n, t, d]) as tf.Tensor3D;
      if (this.query && this.key && this.value) {
        const flat = tf.reshape(h, [n * t, d]);
        const q = tf.reshape(tf.matMul(flat, this.query), [n, t, d]);
        const k = tf.reshape(tf.matMul(flat, this.key), [n, t, d]);
        const v = tf.reshape(tf.matMul(flat, this.value), [n, t, d]);
        // Padding keys get a large finite negative score, never -Infinity.
        const scores = tf.add(
          tf.div(tf.matMul(q, k, false, true), Math.sqrt(d)),
          tf.mul(tf.sub(1, tf.expandDims(mask, 1)), -1e9),
        );
        h = tf.add(h, tf.matMul(tf.softmax(scores), v)) as tf.Tensor3D;
      }
      const summed = tf.sum(tf.mul(h, tf.expandDims(mask, 2)), 1);
      const pooled = tf.div(summed, tf.maximum(tf.sum(mask, 1, true), 1));
      return tf.matMul(pooled, this.projection) as tf.Tensor2D;
    });
  }

  dispose(): void {
    tf.dispose(this.trainableWeights);
  }
}
