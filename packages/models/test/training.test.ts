import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { findCheckpoint, loadCheckpoint, readCheckpointManifest, saveCheckpoint } from '../src/checkpoint.js';
import {
  ContrastiveModel,
  chunkedEmbeddingStep,
  chunkedEmbeddingStepTensors,
  LogitScale,
  readStep,
  trainStep,
  trainStepTensors,
} from '../src/index.js';

const config = {
  encoder: { type: 'mlp' as const, inputShape: [6, 6, 1] as [number, number, number], hidden: [16] },
  head: { hidden: 16, output: 8 },
};

function lossOf(model: ContrastiveModel, x: tf.Tensor4D) {
  // A stand-in loss with every variable in its graph (the losses package is tested on its own).
  return () => tf.mean(tf.square(tf.sub(model.project(x), 0.5))) as tf.Scalar;
}

describe('trainStep', () => {
  it('lowers the loss, reports the gradient norm, and keeps tf.memory() flat over 50 steps', () => {
    const model = new ContrastiveModel(config, 3);
    const optimizer = tf.train.adam(1e-2);
    const x = tf.randomNormal([8, 6, 6, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
    const first = trainStep(lossOf(model, x), { optimizer, variables: model.trainableWeights });
    const after = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 50; i++) last = trainStep(lossOf(model, x), { optimizer, variables: model.trainableWeights });
    expect(tf.memory().numTensors).toBe(after);
    expect(last.loss).toBeLessThan(first.loss);
    expect(first.gradNorm).toBeGreaterThan(0);
  });

  it('clips the global gradient norm', () => {
    const v = tf.variable(tf.tensor1d([3, 4]));
    const optimizer = tf.train.sgd(1);
    const { gradNorm } = trainStep(() => tf.sum(tf.mul(v, tf.tensor1d([30, 40]))) as tf.Scalar, {
      optimizer,
      variables: [v],
      clipNorm: 5,
    });
    expect(gradNorm).toBeCloseTo(50, 4);
    // Gradient [30, 40] clipped to norm 5 is [3, 4]: one SGD step of rate 1 gives [0, 0].
    expect(Array.from(v.dataSync()).map((a) => Math.abs(a) < 1e-4)).toEqual([true, true]);
  });
});

describe('trainStepTensors', () => {
  it('applies the same update as trainStep and leaves the values on the device until readStep', async () => {
    const a = new ContrastiveModel(config, 4);
    const b = new ContrastiveModel(config, 4);
    const [optA, optB] = [tf.train.adam(1e-2), tf.train.adam(1e-2)];
    const x = tf.randomNormal([8, 6, 6, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const read = trainStep(lossOf(a, x), { optimizer: optA, variables: a.trainableWeights });
      const step = trainStepTensors(lossOf(b, x), { optimizer: optB, variables: b.trainableWeights });
      expect(step.loss.rank).toBe(0);
      expect(await readStep(step)).toEqual(read);
      expect(step.loss.isDisposed && step.gradNorm.isDisposed).toBe(true);
    }
    for (const [i, w] of a.trainableWeights.entries())
      expect(Array.from(b.trainableWeights[i].dataSync())).toEqual(Array.from(w.dataSync()));
    // Adam's moments were made by the first step; nothing else stays.
    const settled = tf.memory().numTensors;
    await readStep(trainStepTensors(lossOf(b, x), { optimizer: optB, variables: b.trainableWeights }));
    expect(tf.memory().numTensors).toBe(settled);
    expect(settled).toBeGreaterThan(before);
  });

  it('sums the gradient norm over many variables (more than a GPU binds to one kernel)', async () => {
    const vs = Array.from({ length: 40 }, (_, i) => tf.variable(tf.tensor1d([i % 3, 1])));
    const step = trainStepTensors(() => tf.addN(vs.map((v) => tf.sum(v))) as tf.Scalar, {
      optimizer: tf.train.sgd(0),
      variables: vs,
    });
    // Each gradient is [1, 1]: the global norm is sqrt(40 × 2).
    expect((await readStep(step)).gradNorm).toBeCloseTo(Math.sqrt(80), 4);
    tf.dispose(vs);
  });
});

describe('chunkedEmbeddingStep', () => {
  // A loss that couples every sample of the batch (InfoNCE between the views) and owns a variable.
  const contrastive = (scale: tf.Variable) => (zs: tf.Tensor2D[]) =>
    tf.tidy(() => {
      const logits = tf.mul(tf.matMul(zs[0], zs[1], false, true), scale);
      return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), tf.eye(zs[0].shape[0])), 1))) as tf.Scalar;
    });

  it('gives the same update, loss and gradient norm as one full-batch step, and leaks nothing', async () => {
    // No projection head: its batch norm would see per-chunk statistics (documented).
    const noBatchStats = { encoder: config.encoder, head: null };
    const a = new ContrastiveModel(noBatchStats, 5);
    const b = new ContrastiveModel(noBatchStats, 5);
    const scaleA = tf.variable(tf.scalar(2), true, 'scale-a');
    const scaleB = tf.variable(tf.scalar(2), true, 'scale-b');
    const viewA = tf.randomNormal([10, 6, 6, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
    const viewB = tf.randomNormal([10, 6, 6, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
    const full = trainStep(() => contrastive(scaleA)([a.project(viewA), a.project(viewB)]), {
      optimizer: tf.train.sgd(0.1),
      variables: [...a.trainableWeights, scaleA],
    });
    const optimizer = tf.train.sgd(0.1);
    const embed = (x: tf.Tensor) => b.project(x as tf.Tensor4D);
    const options = { optimizer, variables: [...b.trainableWeights, scaleB], chunkSize: 3, clipNorm: 100 };
    const chunked = await readStep(chunkedEmbeddingStepTensors(embed, [viewA, viewB], contrastive(scaleB), options));
    expect(chunked.loss).toBeCloseTo(full.loss, 5);
    expect(chunked.gradNorm).toBeCloseTo(full.gradNorm, 4);
    a.trainableWeights.forEach((w, i) => {
      const got = b.trainableWeights[i].dataSync();
      w.dataSync().forEach((v, k) => {
        expect(Math.abs(got[k] - v)).toBeLessThan(1e-5);
      });
    });
    expect(scaleB.dataSync()[0]).toBeCloseTo(scaleA.dataSync()[0], 5);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) chunkedEmbeddingStep(embed, [viewA, viewB], contrastive(scaleB), options);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('explains bad arguments', () => {
    const model = new ContrastiveModel(config, 1);
    const embed = (x: tf.Tensor) => model.project(x as tf.Tensor4D);
    const opts = { optimizer: tf.train.sgd(0.1), variables: model.trainableWeights };
    const x = tf.zeros([4, 6, 6, 1]);
    expect(() => chunkedEmbeddingStep(embed, [x], (zs) => tf.sum(zs[0]) as tf.Scalar, { ...opts, chunkSize: 0 })).toThrow(
      'chunkedEmbeddingStep: chunkSize must be a positive integer, got 0',
    );
    expect(() =>
      chunkedEmbeddingStep(embed, [x, tf.zeros([3, 6, 6, 1])], (zs) => tf.sum(zs[0]) as tf.Scalar, { ...opts, chunkSize: 2 }),
    ).toThrow('chunkedEmbeddingStep: views[1] has 3 rows, views[0] has 4: every view needs the same N');
  });
});

describe('checkpoints', () => {
  it('round trip: identical outputs, and the next step after a resume equals the uninterrupted one', async () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-ckpt-')), 'last');
    const x = tf.randomNormal([8, 6, 6, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
    const a = new ContrastiveModel(config, 7);
    const optA = tf.train.adam(1e-2);
    for (let i = 0; i < 3; i++) trainStep(lossOf(a, x), { optimizer: optA, variables: a.trainableWeights });
    await saveCheckpoint(dir, {
      architecture: config,
      variables: a.trainableWeights,
      optimizer: optA,
      step: 3,
      epoch: 0,
      state: { seed: 7 },
    });
    const outA = a.embed(x).arraySync();
    trainStep(lossOf(a, x), { optimizer: optA, variables: a.trainableWeights });

    const b = new ContrastiveModel(config, 99);
    const optB = tf.train.adam(1e-2);
    const manifest = await loadCheckpoint(dir, { architecture: config, variables: b.trainableWeights, optimizer: optB });
    expect(manifest.step).toBe(3);
    expect(manifest.state).toEqual({ seed: 7 });
    expect(b.embed(x).arraySync()).toEqual(outA);
    trainStep(lossOf(b, x), { optimizer: optB, variables: b.trainableWeights });
    a.trainableWeights.forEach((w, i) => {
      expect(Array.from(b.trainableWeights[i].dataSync())).toEqual(Array.from(w.dataSync()));
    });
  });

  it('Adam resumes bit for bit (its running β powers are restored as the steps computed them)', async () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-ckpt-')), 'last');
    const x = tf.randomNormal([8, 6, 6, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
    const a = new ContrastiveModel(config, 7);
    const optA = tf.train.adam(1e-2);
    for (let i = 0; i < 2; i++) trainStep(lossOf(a, x), { optimizer: optA, variables: a.trainableWeights });
    await saveCheckpoint(dir, { architecture: config, variables: a.trainableWeights, optimizer: optA, step: 2, epoch: 0 });
    const b = new ContrastiveModel(config, 99);
    const optB = tf.train.adam(1e-2);
    await loadCheckpoint(dir, { architecture: config, variables: b.trainableWeights, optimizer: optB });
    const powers = (o: tf.AdamOptimizer) => {
      const s = o as unknown as { accBeta1: tf.Variable; accBeta2: tf.Variable };
      return [s.accBeta1.dataSync()[0], s.accBeta2.dataSync()[0]];
    };
    expect(powers(optB)).toEqual(powers(optA));
    for (let i = 0; i < 6; i++) {
      const la = trainStep(lossOf(a, x), { optimizer: optA, variables: a.trainableWeights }).loss;
      expect(trainStep(lossOf(b, x), { optimizer: optB, variables: b.trainableWeights }).loss).toBe(la);
    }
    a.trainableWeights.forEach((w, i) => {
      expect(Array.from(b.trainableWeights[i].dataSync())).toEqual(Array.from(w.dataSync()));
    });
  });

  it('a crash between the two renames of a save leaves a complete copy that loads; the next save removes the leftovers', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-ckpt-'));
    const dir = path.join(root, 'last');
    const m = new ContrastiveModel(config, 1);
    const save = (step: number) => saveCheckpoint(dir, { architecture: config, variables: m.trainableWeights, step, epoch: 0 });
    await save(1);
    fs.renameSync(dir, `${dir}.old-1-1`); // moved aside ...
    await save(2);
    fs.renameSync(dir, `${dir}.tmp-2-2`); // ... and the new copy never renamed into place
    fs.mkdirSync(`${dir}.tmp-3-3`); // a save killed while writing
    fs.writeFileSync(path.join(`${dir}.tmp-3-3`, 'manifest.json'), '{"format":');
    expect(findCheckpoint(dir)).toBe(`${dir}.tmp-2-2`);
    expect(readCheckpointManifest(dir).step).toBe(2);
    expect((await loadCheckpoint(dir, { architecture: config, variables: m.trainableWeights })).step).toBe(2);
    await save(3);
    expect(fs.readdirSync(root)).toEqual(['last']);
    expect(findCheckpoint(path.join(root, 'none'))).toBeNull();
  });

  it('saving replaces the directory atomically, and another architecture is refused clearly', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-ckpt-'));
    const dir = path.join(root, 'best');
    const m = new ContrastiveModel(config, 1);
    await saveCheckpoint(dir, { architecture: config, variables: m.trainableWeights, step: 1, epoch: 0 });
    await saveCheckpoint(dir, { architecture: config, variables: m.trainableWeights, step: 2, epoch: 0 });
    expect(readCheckpointManifest(dir).step).toBe(2);
    expect(fs.readdirSync(root)).toEqual(['best']);
    const other = { ...config, encoder: { ...config.encoder, hidden: [32] } };
    const big = new ContrastiveModel(other, 1);
    await expect(loadCheckpoint(dir, { architecture: other, variables: big.trainableWeights })).rejects.toThrow(
      /checkpoint is for another architecture \(architecture\.encoder\.hidden\.0: 16 ≠ 32\)/,
    );
    await expect(loadCheckpoint(root, { architecture: config, variables: [] })).rejects.toThrow(
      /not a checkpoint \(no manifest.json\)/,
    );
  });
});

describe('LogitScale', () => {
  it('starts at 1/0.07, trains through exp(), and stays clamped at 100', () => {
    const scale = new LogitScale();
    expect(scale.current()).toBeCloseTo(1 / 0.07, 4);
    const optimizer = tf.train.sgd(10);
    for (let i = 0; i < 5; i++) {
      // A loss that rewards a larger scale pushes it past the clamp.
      trainStep(() => tf.neg(scale.value()), { optimizer, variables: [scale.logScale] });
      scale.clamp();
      expect(scale.current()).toBeLessThanOrEqual(100 + 1e-3);
    }
    expect(scale.current()).toBeCloseTo(100, 3);
  });
});
