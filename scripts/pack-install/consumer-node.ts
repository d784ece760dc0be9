// A TypeScript consumer in Node: every package's root entry and Node-only subpaths, type-checked
// with `module`/`moduleResolution` nodenext (tsconfig.nodenext.json) against the packed .d.ts.
import * as tf from '@tensorflow/tfjs-core';
import { type BackendChoice, useFastestBackend } from '@xclr/backend';
import type { relaunchWithMallocTuning } from '@xclr/process';
import type { openDataset } from '@xclr/data';
import { features, type knnClassify } from '@xclr/eval';
import { lineSpec, type renderPlot, writeReport } from '@xclr/eval/plots';
import { type evaluateEncoder, headlineScores } from '@xclr/eval/protocol';
import type { writeTrainingReport } from '@xclr/eval/report';
import { batchSimilarityFromEmbeddings, type buildClassGraph } from '@xclr/graph';
import { xclrLoss } from '@xclr/losses';
import { ContrastiveModel, type StepResult, trainStep } from '@xclr/models';
import { type CheckpointManifest, type loadCheckpoint, saveCheckpoint } from '@xclr/models/checkpoint';
import type { model as onnxModel } from '@xclr/onnx-proto';
import { createObjective, type fit } from '@xclr/training';

/** `false` unless T is `any`: a declaration that failed to resolve would type as any. */
type IsAny<T> = 0 extends 1 & T ? true : false;
const notAny: [
  IsAny<typeof useFastestBackend>,
  IsAny<typeof relaunchWithMallocTuning>,
  IsAny<typeof openDataset>,
  IsAny<typeof knnClassify>,
  IsAny<typeof renderPlot>,
  IsAny<typeof evaluateEncoder>,
  IsAny<typeof writeTrainingReport>,
  IsAny<typeof buildClassGraph>,
  IsAny<typeof xclrLoss>,
  IsAny<typeof ContrastiveModel>,
  IsAny<typeof loadCheckpoint>,
  IsAny<typeof onnxModel>,
  IsAny<typeof fit>,
  IsAny<typeof tf.Tensor>,
] = [false, false, false, false, false, false, false, false, false, false, false, false, false, false];

export async function run(): Promise<number> {
  const choice: BackendChoice = await useFastestBackend({ backend: 'cpu' });
  const model = new ContrastiveModel(
    { encoder: { type: 'mlp', inputShape: [8, 8, 1], hidden: [16] }, head: { hidden: 16, output: 8 } },
    0,
  );
  const x = tf.randomUniform([4, 8, 8, 1]) as tf.Tensor4D;
  const similarity: tf.Tensor2D = batchSimilarityFromEmbeddings(new Float32Array(24), 6, [0, 1, 2, 3]);
  const step: StepResult = trainStep(() => xclrLoss(model.project(x), model.project(x), similarity), {
    optimizer: tf.train.adam(1e-3),
    variables: model.trainableWeights,
  });
  const saved: CheckpointManifest = await saveCheckpoint('ckpt', {
    architecture: {},
    variables: model.trainableWeights,
    step: 1,
    epoch: 0,
  });
  const f = features(new Float32Array(8), 2);
  const plot = lineSpec([{ x: 0, y: step.loss, series: choice.backend }], { title: 't', x: 'x', y: 'y' });
  writeReport('report.html', 'r', [{ title: 's', text: JSON.stringify(plot) }]);
  void [notAny, saved, f, headlineScores, createObjective, saveCheckpoint];
  return step.gradNorm;
}
