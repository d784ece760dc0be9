import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Batch } from '@xclr/data';
import { batchSimilarityFromClasses, batchSimilarityFromEmbeddings } from '@xclr/graph';
import { clipLoss, ntXentLoss, supConLoss, xclrLoss } from '@xclr/losses';
import { type ContrastiveModel, createTextProjection, LogitScale, SmallTextEncoder, Vocabulary } from '@xclr/models';
import type { RunConfig } from '../config/schema.js';
import type { CaptionEmbeddings } from './captions.js';

/** What a loss may draw on besides the image model. */
export interface ObjectiveInputs {
  /** Class × class similarity (X-CLR with a class graph). */
  classGraph: { similarity: Float32Array; numClasses: number } | null;
  /** Per-sample caption embeddings of the training set (X-CLR caption graph, LiT-style CLIP). */
  captions: CaptionEmbeddings | null;
  /** Training captions (the small text tower's vocabulary). */
  trainCaptions: readonly string[] | null;
  numClasses: number;
}

export interface Objective {
  /** The loss of one batch, for trainStep (tensors it makes are tidied by the step). */
  loss(batch: Batch): () => tf.Scalar;
  /** Every trained variable, in checkpoint order. */
  variables: tf.Variable[];
  /** After each optimiser step (CLIP clamps its logit scale there, as OpenCLIP does). */
  afterStep(): void;
  /** CLIP's text embeddings of captions (retrieval evaluation); null for image-only losses. */
  embedText: ((captions: readonly string[], rows: Float32Array | null) => tf.Tensor2D) | null;
  /** Current CLIP logit scale, for the metrics log. */
  logitScale(): number | null;
  dispose(): void;
}

/** L2 penalty on kernels (not biases or batch-norm parameters), as decoupled weight decay is not in tfjs's Adam. */
function l2(variables: tf.Variable[], weightDecay: number): tf.Scalar {
  const kernels = variables.filter((v) => v.rank >= 2);
  if (weightDecay === 0 || kernels.length === 0) return tf.scalar(0);
  return tf.mul(tf.addN(kernels.map((v) => tf.sum(tf.square(v)))), weightDecay / 2) as tf.Scalar;
}

interface ClipTower {
  variables: tf.Variable[];
  embed(captions: readonly string[], rows: Float32Array | null): tf.Tensor2D;
  dispose(): void;
}

function createClipTower(config: RunConfig, outputDim: number, inputs: ObjectiveInputs): ClipTower {
  const tower = config.model.textTower ?? { type: 'projection' };
  if (tower.type === 'projection') {
    if (!inputs.captions) throw new Error('loss clip with model.textTower.type=projection needs caption embeddings');
    const projection = createTextProjection(inputs.captions.dim, outputDim, config.seed + 7);
    return {
      variables: projection.trainableWeights.map((w) => w.read() as tf.Variable),
      embed: (_captions, rows) =>
        projection.apply(
          tf.tensor2d(rows as Float32Array, [
            (rows as Float32Array).length / (inputs.captions as CaptionEmbeddings).dim,
            (inputs.captions as CaptionEmbeddings).dim,
          ]),
        ) as tf.Tensor2D,
      dispose: () => projection.dispose(),
    };
  }
  const vocabulary = Vocabulary.fromCaptions(inputs.trainCaptions ?? [], tower.vocabularySize);
  const encoder = new SmallTextEncoder(
    { vocabularySize: vocabulary.size, maxLength: tower.maxLength, embedDim: tower.embedDim, outputDim, pooling: tower.pooling },
    config.seed + 7,
  );
  return {
    variables: encoder.trainableWeights,
    embed: (captions) => encoder.apply(vocabulary.encode(captions, tower.maxLength)),
    dispose: () => encoder.dispose(),
  };
}

/**
 * Wires a config's loss to the model: X-CLR with a class or caption graph, NT-Xent, SupCon, CLIP
 * (image–caption InfoNCE with a learnable logit scale and a text tower), or supervised
 * cross-entropy through a linear classifier on the backbone.
 */
export function createObjective(config: RunConfig, model: ContrastiveModel, inputs: ObjectiveInputs): Objective {
  const { type, temperature, targetTemperature } = config.loss;
  const wd = config.train.weightDecay;
  const embedWidth = (model.head ?? model.encoder).outputs[0].shape[1] as number;
  const classifier =
    type === 'supervised'
      ? tfl.sequential({
          layers: [tfl.layers.dense({ inputShape: [model.encoder.outputs[0].shape[1] as number], units: inputs.numClasses })],
        })
      : null;
  const tower = type === 'clip' ? createClipTower(config, embedWidth, inputs) : null;
  const scale = type === 'clip' ? new LogitScale() : null;
  const variables = [
    ...model.trainableWeights,
    ...(classifier?.trainableWeights.map((w) => w.read() as tf.Variable) ?? []),
    ...(tower?.variables ?? []),
    ...(scale ? [scale.logScale] : []),
  ];
  const captionRows = (batch: Batch) => {
    const c = inputs.captions as CaptionEmbeddings;
    const rows = new Float32Array(batch.indices.length * c.dim);
    batch.indices.forEach((i, k) => {
      rows.set(c.rows.subarray(i * c.dim, (i + 1) * c.dim), k * c.dim);
    });
    return rows;
  };
  if (type === 'xclr' && config.loss.graph === 'captions' && !inputs.captions)
    throw new Error('loss.graph=captions needs a captioned dataset');
  if (type === 'xclr' && config.loss.graph !== 'captions' && !inputs.classGraph) throw new Error('xclr needs a similarity graph');
  return {
    variables,
    loss: (batch) => () => {
      const labels = batch.labels;
      const needsLabels = type === 'supervised' || type === 'supcon' || (type === 'xclr' && config.loss.graph !== 'captions');
      if (needsLabels && !labels) throw new Error(`loss ${type} needs labels; ${config.data.dataset} has none`);
      let main: tf.Scalar;
      if (type === 'supervised') {
        const logits = (classifier as tfl.Sequential).apply(model.encoder.apply(batch.views[0], { training: true }), {
          training: true,
        }) as tf.Tensor2D;
        main = tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels!, 'int32'), logits.shape[1]), logits) as tf.Scalar;
      } else if (type === 'clip') {
        // CLIP sees one augmented view and the caption, as OpenCLIP trains.
        const image = model.project(batch.views[0]);
        const text = (tower as ClipTower).embed(batch.captions ?? [], inputs.captions ? captionRows(batch) : null);
        main = clipLoss(image, text, { logitScale: (scale as LogitScale).value() });
      } else {
        const [zA, zB] = model.projectViews(batch.views[0], batch.views[1]);
        if (type === 'xclr') {
          const similarity =
            config.loss.graph === 'captions'
              ? batchSimilarityFromEmbeddings(
                  (inputs.captions as CaptionEmbeddings).rows,
                  (inputs.captions as CaptionEmbeddings).dim,
                  batch.indices,
                )
              : batchSimilarityFromClasses(inputs.classGraph!.similarity, inputs.classGraph!.numClasses, labels!);
          main = xclrLoss(zA, zB, similarity, { temperature, targetTemperature });
        } else if (type === 'supcon') {
          main = supConLoss(zA, zB, tf.tensor1d(labels!, 'int32'), { temperature, baseTemperature: temperature });
        } else {
          main = ntXentLoss(zA, zB, { temperature });
        }
      }
      return tf.add(main, l2(variables, wd)) as tf.Scalar;
    },
    afterStep: () => scale?.clamp(),
    embedText: tower ? (captions, rows) => tower.embed(captions, rows) : null,
    logitScale: () => scale?.current() ?? null,
    dispose: () => {
      classifier?.dispose();
      tower?.dispose();
      scale?.dispose();
    },
  };
}
