import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { clipLayersLoss, layersTargets, ntXentLayersLoss, supConLayersLoss, xclrLayersLoss, xclrLoss } from '../src/index.js';
import { expectClose, randn } from './helpers.js';

/** Two inputs (the views) through one shared encoder, outputs concatenated along the features. */
function twoViewModel(inputDim: number, embedDim: number): tfl.LayersModel {
  const encoder = tfl.layers.dense({ units: embedDim, kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) });
  const a = tfl.input({ shape: [inputDim] });
  const b = tfl.input({ shape: [inputDim] });
  const out = tfl.layers.concatenate({ axis: 1 }).apply([encoder.apply(a), encoder.apply(b)] as tfl.SymbolicTensor[]);
  return tfl.model({ inputs: [a, b], outputs: out as tfl.SymbolicTensor });
}

describe('losses as tfjs Layers compile({ loss }) functions', () => {
  it('xclrLayersLoss on a model that concatenates the views equals xclrLoss on the split output', () => {
    const model = twoViewModel(10, 4);
    const xA = randn(8, 10, 1);
    const xB = randn(8, 10, 2);
    const text = randn(8, 5, 3);
    const out = model.predict([xA, xB]) as tf.Tensor2D;
    const viaLayers = xclrLayersLoss({ temperature: 0.2 })(layersTargets(text, 8), out);
    const tn = tf.div(text, tf.norm(text, 2, 1, true)) as tf.Tensor2D;
    const direct = xclrLoss(tf.slice(out, [0, 0], [8, 4]), tf.slice(out, [0, 4], [8, 4]), tf.matMul(tn, tn, false, true), {
      temperature: 0.2,
    });
    expectClose(viaLayers.dataSync(), direct.dataSync(), 1e-6);
  });

  for (const [name, loss, yTrue] of [
    ['xclr', xclrLayersLoss(), layersTargets(randn(64, 5, 4), 8)],
    ['ntXent', ntXentLayersLoss(), tf.zeros([64, 8])],
    [
      'supCon',
      supConLayersLoss(),
      layersTargets(
        tf.tensor1d(
          Array.from({ length: 64 }, (_, i) => i % 4),
          'int32',
        ),
        8,
      ),
    ],
    ['clip', clipLayersLoss({ logitScale: 10 }), tf.zeros([64, 8])],
  ] as const) {
    it(`${name}: model.fit trains and lowers the loss`, async () => {
      const model = twoViewModel(10, 4);
      model.compile({ optimizer: tf.train.adam(0.05), loss });
      const base = randn(64, 10, 5);
      const xA = tf.add(base, tf.mul(randn(64, 10, 6), 0.1));
      const xB = tf.add(base, tf.mul(randn(64, 10, 7), 0.1));
      const history = await model.fit([xA, xB], yTrue, { epochs: 8, batchSize: 32, shuffle: false, verbose: 0 });
      const losses = history.history.loss as number[];
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    });
  }

  it('layersTargets packs labels and pads embeddings, and refuses what does not fit', () => {
    expect(layersTargets(tf.tensor1d([3, 1], 'int32'), 3).arraySync()).toEqual([
      [3, 0, 0],
      [1, 0, 0],
    ]);
    expect(layersTargets(tf.tensor2d([[1, 2]]), 3).arraySync()).toEqual([[1, 2, 0]]);
    expect(() => layersTargets(tf.zeros([2, 9]), 8)).toThrow(/\[N, 9\] values do not fit a \[N, 8\] model output/);
  });

  it('a model output that is not [N, 2D] is a clear error', () => {
    expect(() => ntXentLayersLoss()(tf.zeros([4, 1]), tf.zeros([4, 3]))).toThrow(
      'ntXentLayersLoss: the model output must be [N, 2D], both views concatenated along axis 1; got [4, 3]',
    );
  });
});
