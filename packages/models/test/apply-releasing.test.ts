import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { applyReleasing, createEncoder } from '../src/index.js';

/** A layer that returns its input tensor itself. */
class PassThrough extends tfl.layers.Layer {
  static className = 'XclrTestPassThrough';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return Array.isArray(inputs) ? inputs[0] : inputs;
  }
}

/**
 * The forward value, the weights' gradients, and the bytes the step held (beyond what existed
 * before it) when the cpu backend's `probe` kernel last ran in the forward pass (ResNet's global average pool: where its forward peaks).
 */
function run(apply: (x: tf.Tensor) => tf.Tensor, model: tfl.LayersModel, x: tf.Tensor, probe = 'Mean') {
  let heldAtProbe = 0;
  let forward = true;
  const bytesBefore = tf.memory().numBytes;
  const kernel = tf.getKernel(probe, 'cpu') as tf.KernelConfig;
  tf.unregisterKernel(probe, 'cpu');
  tf.registerKernel({
    ...kernel,
    kernelFunc: (args) => {
      if (forward) heldAtProbe = tf.memory().numBytes - bytesBefore;
      return kernel.kernelFunc(args);
    },
  });
  const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const before = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(() => {
    const y = apply(x);
    forward = false;
    return tf.sum(tf.square(y)) as tf.Scalar;
  }, vars);
  tf.unregisterKernel(probe, 'cpu');
  tf.registerKernel(kernel);
  const out = {
    value: value.dataSync()[0],
    grads: vars.map((v) => Array.from(grads[v.name].dataSync())),
    heldAtProbe,
  };
  tf.dispose([value, ...Object.values(grads)]);
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

describe('applyReleasing', () => {
  it('ResNet-18 in training mode: the values and gradients of model.apply, holding less as the forward pass ends', () => {
    const model = createEncoder({ type: 'resnet18', inputShape: [16, 16, 3], width: 0.125 }, 1);
    const x = tf.randomNormal([4, 16, 16, 3], 0, 1, 'float32', 2);
    // Batch norm's moving statistics move on every call: both runs start from the same ones.
    const moving = model.nonTrainableWeights.map((w) => w.read().clone());
    const reset = () => {
      for (const [i, w] of model.nonTrainableWeights.entries()) w.write(moving[i].clone());
    };
    const stock = run((t) => model.apply(t, { training: true }) as tf.Tensor, model, x);
    reset();
    const released = run((t) => applyReleasing(model, t, { training: true }), model, x);
    expect(released.value).toBe(stock.value);
    expect(released.grads).toEqual(stock.grads);
    expect(released.heldAtProbe).toBeLessThan(stock.heldAtProbe * 0.8);
    expect(x.isDisposed).toBe(false);
    tf.dispose([x, ...moving]);
  });

  it('a layer that returns its input, an output read by two layers, the model input read twice', () => {
    const input = tfl.input({ shape: [5] });
    const a = tfl.layers.dense({ units: 6, activation: 'relu', kernelInitializer: 'glorotNormal' }).apply(input);
    const same = new PassThrough({}).apply(a) as tfl.SymbolicTensor;
    const b = tfl.layers.dense({ units: 6 }).apply(same) as tfl.SymbolicTensor;
    const c = tfl.layers.dense({ units: 6 }).apply(input) as tfl.SymbolicTensor;
    const out = tfl.layers.add().apply([same, b, c]) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: out });
    const x = tf.randomNormal([3, 5], 0, 1, 'float32', 3);
    const stock = run((t) => model.apply(t) as tf.Tensor, model, x);
    const released = run((t) => applyReleasing(model, t), model, x);
    expect(released.value).toBe(stock.value);
    expect(released.grads).toEqual(stock.grads);
    // The output itself may be a layer's input returned unchanged.
    const identity = tfl.model({ inputs: input, outputs: new PassThrough({}).apply(input) as tfl.SymbolicTensor });
    const y = tf.tidy(() => applyReleasing(identity, x));
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([x, y]);
  });

  it('a model with a shared layer runs through model.apply', () => {
    const input = tfl.input({ shape: [4] });
    const shared = tfl.layers.dense({ units: 4 });
    const model = tfl.model({ inputs: input, outputs: shared.apply(shared.apply(input)) as tfl.SymbolicTensor });
    const x = tf.randomNormal([2, 4], 0, 1, 'float32', 4);
    expect(Array.from(applyReleasing(model, x).dataSync())).toEqual(Array.from((model.apply(x) as tf.Tensor).dataSync()));
  });
});
