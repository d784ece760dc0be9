// A TypeScript consumer bundled for browsers: the browser-safe root entries only, type-checked
// with moduleResolution bundler and no @types/node (tsconfig.bundler.json).
import * as tf from '@tensorflow/tfjs-core';
import { features, type KnnResult, knnClassify } from '@xclr/eval';
import { createLoss, type xclrLoss } from '@xclr/losses';
import { type ContrastiveModel, type StepResult, trainStep } from '@xclr/models';

type IsAny<T> = 0 extends 1 & T ? true : false;
const notAny: [IsAny<typeof knnClassify>, IsAny<typeof xclrLoss>, IsAny<typeof ContrastiveModel>, IsAny<typeof tf.Tensor>] = [
  false,
  false,
  false,
  false,
];

export function step(model: ContrastiveModel, a: tf.Tensor4D, b: tf.Tensor4D, similarity: tf.Tensor2D): StepResult {
  const loss = createLoss('xclr', { temperature: 0.1 });
  void notAny;
  return trainStep(() => loss(model.project(a), model.project(b), { similarity }), {
    optimizer: tf.train.sgd(0.1),
    variables: model.trainableWeights,
  });
}

export async function knn(data: Float32Array, labels: number[]): Promise<KnnResult> {
  const f = features(data, 4);
  return knnClassify(f, labels, f, labels, { ks: [1] });
}
