import * as tf from '@tensorflow/tfjs-core';
import { ContrastiveModel } from '@xclr/models';
import { describe, expect, it } from 'vitest';
import {
  createObjective,
  fit,
  mapBatches,
  type Objective,
  type ObjectiveName,
  type StepLog,
  type TrainingBatch,
} from '../src/index.js';
import { seededSource, tinyModel } from './helpers.js';

const N = 24;
const CAPTION_DIM = 6;

/** Batches of N samples with every field an objective reads (caption embeddings for CLIP). */
const source = (steps: number) =>
  mapBatches(seededSource(steps, N), (batch: TrainingBatch) => ({
    ...batch,
    captionEmbeddings: Float32Array.from({ length: N * CAPTION_DIM }, (_, k) => Math.sin(k * 0.37 + batch.indices![0])),
  }));

function objectiveFor(name: ObjectiveName, model: ContrastiveModel): Objective {
  const common = { model, weightDecay: 0.01, seed: 3 };
  switch (name) {
    case 'clip':
      return createObjective('clip', { ...common, textTower: { type: 'projection', inputDim: CAPTION_DIM } });
    case 'supervised':
      return createObjective('supervised', { ...common, numClasses: 3 });
    case 'vicreg':
    case 'barlow':
      return createObjective(name, common);
    default:
      return createObjective(name, { ...common, temperature: 0.3, targetTemperature: 0.2 });
  }
}

/** SGD that keeps a copy of the gradients of every step, in `variables` order, and the order they came in. */
class RecordingSgd extends tf.SGDOptimizer {
  readonly steps: { order: number[]; grads: (Float32Array | null)[] }[] = [];
  constructor(private readonly variables: tf.Variable[]) {
    super(0.05);
  }
  override applyGradients(gradients: Parameters<tf.SGDOptimizer['applyGradients']>[0]): void {
    const map = gradients as tf.NamedTensorMap;
    this.steps.push({
      order: Object.keys(map).map((name) => this.variables.findIndex((v) => v.name === name)),
      grads: this.variables.map((v) => (map[v.name] ? (map[v.name].dataSync() as Float32Array).slice() : null)),
    });
    super.applyGradients(gradients);
  }
}

/** A fresh model and objective trained `steps` steps: each step's gradients, losses and tensor counts. */
async function train(name: ObjectiveName, o: { chunkSize?: number; steps?: number; clipNorm?: number; head?: boolean }) {
  const model =
    o.head === false
      ? new ContrastiveModel({ encoder: { type: 'mlp', inputShape: [4, 4, 1], hidden: [16] }, head: null }, 1)
      : tinyModel(1);
  const objective = objectiveFor(name, model);
  const optimizer = new RecordingSgd(objective.variables);
  const losses: number[] = [];
  const tensors: number[] = [];
  try {
    await fit({
      objective,
      data: source(o.steps ?? 1),
      optimizer,
      chunkSize: o.chunkSize,
      clipNorm: o.clipNorm,
      callbacks: [
        {
          onStepEnd: (log: StepLog) => {
            losses.push(log.loss);
            tensors.push(tf.memory().numTensors);
          },
        },
      ],
    });
    // Batch-norm moving statistics are updated as the unchunked step updates them.
    const weights = [...model.encoder.getWeights(), ...(model.head?.getWeights() ?? [])].map((w) =>
      (w.dataSync() as Float32Array).slice(),
    );
    return { steps: optimizer.steps, losses, tensors, weights };
  } finally {
    model.dispose();
    objective.dispose();
    optimizer.dispose();
  }
}

const largest = (x: Float32Array) => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/**
 * max |a − b| over max |b|: the relative error of one variable's gradient. `floor` bounds the
 * scale from below: a gradient that is zero in exact arithmetic (the last bias under VICReg's and
 * Barlow Twins' centring) holds only rounding, which differs with the order of operations.
 */
function relativeError(a: Float32Array, b: Float32Array, floor = 1e-30): number {
  let diff = 0;
  b.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(a[i] - v));
  });
  return diff / Math.max(largest(b), floor);
}

function expectSameGradients(got: Awaited<ReturnType<typeof train>>, want: Awaited<ReturnType<typeof train>>) {
  expect(got.steps.length).toBe(want.steps.length);
  got.steps.forEach((step, s) => {
    // The same variables in the same order: Adam keys its moments by position.
    expect(step.order).toEqual(want.steps[s].order);
    // Rounding is judged against 1 % of the step's largest gradient at least (see relativeError).
    const floor = 0.01 * Math.max(...want.steps[s].grads.map((w) => (w ? largest(w) : 0)));
    step.grads.forEach((g, i) => {
      const w = want.steps[s].grads[i];
      expect(g == null).toBe(w == null);
      if (g && w) expect(relativeError(g, w, floor), `step ${s + 1}, variable ${i}`).toBeLessThan(1e-5);
    });
  });
}

describe('fit with chunkSize (gradient caching)', () => {
  // The tiny model's projection head has batch norm: it runs on each view's full batch, after the chunks.
  for (const name of ['xclr', 'ntxent', 'supcon', 'clip', 'supervised', 'vicreg', 'barlow'] as const) {
    it(`${name}: the gradients equal the whole batch's to 1e-5, with chunks that divide N and one that does not`, async () => {
      const full = await train(name, {});
      // Every variable has a gradient, but for supervised's unused head (whose kernels get weight decay only).
      expect(full.steps[0].grads.filter((g) => g == null).length).toBe(name === 'supervised' ? 3 : 0);
      for (const chunkSize of [8, 7]) {
        const chunked = await train(name, { chunkSize });
        expectSameGradients(chunked, full);
        expect(chunked.losses[0]).toBeCloseTo(full.losses[0], 6);
        // (a bias that starts at 0 and gets a zero gradient holds only rounding: see relativeError)
        const floor = 0.01 * Math.max(...full.weights.map(largest));
        chunked.weights.forEach((w, i) => {
          expect(relativeError(w, full.weights[i], floor), `weight ${i}`).toBeLessThan(1e-5);
        });
      }
    });
  }

  it('without a projection head, and with gradient clipping', async () => {
    const full = await train('xclr', { head: false, clipNorm: 0.01 });
    const chunked = await train('xclr', { head: false, clipNorm: 0.01, chunkSize: 5 });
    expectSameGradients(chunked, full);
  });

  it('a short run has the losses of the unchunked run and keeps tf.memory() flat across steps', async () => {
    const full = await train('xclr', { steps: 5 });
    const chunked = await train('xclr', { steps: 5, chunkSize: 10 });
    chunked.losses.forEach((loss, i) => {
      expect(Math.abs(loss - full.losses[i])).toBeLessThan(1e-5 * Math.abs(full.losses[i]));
    });
    expectSameGradients(chunked, full);
    expect(new Set(chunked.tensors).size, `tensors after each step: ${chunked.tensors}`).toBe(1);
    expect(chunked.tensors[0]).toBe(full.tensors[0]);
  });

  it('explains a bad chunkSize, an objective without an embedding split, and an encoder with batch norm', async () => {
    const model = tinyModel(1);
    const objective = createObjective('xclr', { model });
    const optimizer = tf.train.sgd(0.1);
    for (const chunkSize of [0, 2.5, -1])
      await expect(fit({ objective, data: source(1), optimizer, chunkSize })).rejects.toThrow(
        `fit: chunkSize must be an integer ≥ 1, got ${chunkSize}`,
      );
    const custom: Objective = {
      name: 'mine',
      needs: [],
      variables: objective.variables,
      loss: objective.loss,
      dispose: () => {},
    };
    await expect(fit({ objective: custom, data: source(1), optimizer, chunkSize: 4 })).rejects.toThrow(
      'fit: chunkSize needs an objective whose loss is a function of per-sample embeddings (objective.embeddingSplit); objective "mine" has none: train it without chunkSize',
    );
    const resnet = new ContrastiveModel({ encoder: { type: 'resnet18', inputShape: [4, 4, 1], width: 0.0625 }, head: null }, 1);
    for (const name of ['xclr', 'clip'] as const) {
      await expect(fit({ objective: objectiveFor(name, resnet), data: source(1), optimizer, chunkSize: 4 })).rejects.toThrow(
        `objective ${name}: chunkSize needs an encoder whose output for a sample does not depend on the rest of the batch, but encoder "resnet18" has batch normalization`,
      );
    }
    model.dispose();
    resnet.dispose();
  });
});
