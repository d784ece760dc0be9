import * as tf from '@tensorflow/tfjs-core';
import { createLoss } from '@xclr/losses';
import { createTextProjection, LogitScale, SmallTextEncoder, Vocabulary } from '@xclr/models';
import { asMatrix, batchSize, type TrainingBatch } from '../batch.js';
import { checkBatch, encoderCut, type Objective, type ObjectiveOptions, withWeightDecay } from './objective.js';

/** CLIP's text tower: a trainable projection of frozen caption embeddings, or a small word-level encoder. */
export type ClipTextTower =
  | { type: 'projection' /** Width of the frozen caption embeddings. */; inputDim: number }
  | {
      type: 'small';
      pooling: 'mean' | 'attention';
      embedDim: number;
      maxLength: number;
      vocabularySize: number;
      /** Captions the vocabulary is built from (the training captions). */
      vocabularyFrom: readonly string[];
    };

export interface ClipObjectiveOptions extends ObjectiveOptions {
  textTower: ClipTextTower;
  /** Initial logit scale (default 1 / 0.07), learnable and clamped to 100 as OpenCLIP does. */
  initialLogitScale?: number;
}

interface Tower {
  variables: tf.Variable[];
  embed(captions: readonly string[], rows: tf.Tensor2D | null): tf.Tensor2D;
  dispose(): void;
}

function createTower(spec: ClipTextTower, outputDim: number, seed: number): Tower {
  if (spec.type === 'projection') {
    const projection = createTextProjection(spec.inputDim, outputDim, seed);
    return {
      variables: projection.trainableWeights.map((w) => w.read() as tf.Variable),
      embed: (_captions, rows) => projection.apply(rows as tf.Tensor2D) as tf.Tensor2D,
      dispose: () => projection.dispose(),
    };
  }
  const vocabulary = Vocabulary.fromCaptions(spec.vocabularyFrom, spec.vocabularySize);
  const encoder = new SmallTextEncoder(
    { vocabularySize: vocabulary.size, maxLength: spec.maxLength, embedDim: spec.embedDim, outputDim, pooling: spec.pooling },
    seed,
  );
  return {
    variables: encoder.trainableWeights,
    embed: (captions) => encoder.apply(vocabulary.encode(captions, spec.maxLength)),
    dispose: () => encoder.dispose(),
  };
}

/**
 * CLIP: the image tower's projection of one view against a text tower's embedding of the
 * caption, symmetric InfoNCE with a learnable logit scale (OpenCLIP trains on one view too).
 */
export function clipObjective(options: ClipObjectiveOptions): Objective {
  const { model, textTower, weightDecay, seed = 0 } = options;
  const width = (model.head ?? model.encoder).outputs[0].shape[1] as number;
  const tower = createTower(textTower, width, seed + 7);
  const scale = new LogitScale(options.initialLogitScale);
  const loss = createLoss('clip');
  const variables = [...model.trainableWeights, ...tower.variables, scale.logScale];
  const needs = textTower.type === 'projection' ? (['captionEmbeddings'] as const) : (['captions'] as const);
  const lossOf = (image: tf.Tensor2D, batch: TrainingBatch) => {
    const rows = batch.captionEmbeddings ? asMatrix(batch.captionEmbeddings, batchSize(batch), 'captionEmbeddings') : null;
    const text = tower.embed(batch.captions ?? [], rows);
    return withWeightDecay(loss(image, text, { logitScale: scale.value() }), variables, weightDecay);
  };
  return {
    name: 'clip',
    needs,
    variables,
    loss: (batch) => {
      checkBatch('clip', needs, batch);
      return lossOf(model.project(batch.views[0] as tf.Tensor4D), batch);
    },
    // The image tower is chunked; the text tower runs on the full batch with the loss.
    embeddingSplit: () => {
      const { embed, head } = encoderCut(model, 'clip');
      return {
        inputs: (batch) => {
          checkBatch('clip', needs, batch);
          return [batch.views[0]];
        },
        embed,
        lossOfEmbeddings: ([features], batch) => lossOf(head(features), batch),
      };
    },
    afterStep: () => scale.clamp(),
    metrics: async () => ({ logitScale: await scale.read() }),
    embedText: (captions, rows) =>
      tf.tidy(() => tower.embed(captions, rows ? tf.tensor2d(rows, [captions.length, rows.length / captions.length]) : null)),
    dispose: () => {
      tower.dispose();
      scale.dispose();
    },
  };
}
