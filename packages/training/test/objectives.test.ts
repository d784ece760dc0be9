import * as tf from '@tensorflow/tfjs-core';
import {
  barlowTwinsGraphLoss,
  barlowTwinsLoss,
  clipLoss,
  ntXentLoss,
  supConLoss,
  vicregGraphLoss,
  vicregLoss,
  xclrLoss,
} from '@xclr/losses';
import { describe, expect, it } from 'vitest';
import { createObjective, fit, mapBatches, OBJECTIVE_NAMES, type TrainingBatch } from '../src/index.js';
import { seededSource, tinyModel } from './helpers.js';

const batchOf = (): TrainingBatch => {
  const [first] = seededSource(1).epoch(0, 0) as Iterable<TrainingBatch>;
  return first;
};

describe('objectives', () => {
  it('are listed by name; an unknown name is a clear error', () => {
    expect(OBJECTIVE_NAMES).toEqual(['xclr', 'ntxent', 'supcon', 'clip', 'supervised', 'vicreg', 'barlow']);
    // @ts-expect-error: not an objective
    expect(() => createObjective('simsiam', { model: tinyModel() })).toThrow(
      'unknown objective "simsiam"; available: xclr, ntxent, supcon, clip, supervised, vicreg, barlow',
    );
  });

  it('xclr, ntxent and supcon compute their loss of both views’ projections, plus weight decay', () => {
    const model = tinyModel();
    const batch = batchOf();
    const [zA, zB] = model.projectViews(batch.views[0] as tf.Tensor4D, batch.views[1] as tf.Tensor4D);
    const similarity = tf.tensor2d(batch.similarity as Float32Array, [8, 8]);
    const expected = {
      xclr: xclrLoss(zA, zB, similarity, { temperature: 0.3, targetTemperature: 0.2 }),
      ntxent: ntXentLoss(zA, zB, { temperature: 0.3 }),
      supcon: supConLoss(zA, zB, tf.tensor1d(batch.labels as Int32Array, 'int32'), { temperature: 0.3, baseTemperature: 0.3 }),
    };
    for (const name of ['xclr', 'ntxent', 'supcon'] as const) {
      const objective = createObjective(name, { model, temperature: 0.3, targetTemperature: 0.2 });
      expect(objective.loss(batch).dataSync()[0]).toBeCloseTo(expected[name].dataSync()[0], 5);
      const decayed = createObjective(name, { model, temperature: 0.3, targetTemperature: 0.2, weightDecay: 0.1 });
      const penalty =
        tf.addN(model.trainableWeights.filter((v) => v.rank >= 2).map((v) => tf.sum(tf.square(v)))).dataSync()[0] * 0.05;
      expect(decayed.loss(batch).dataSync()[0]).toBeCloseTo(expected[name].dataSync()[0] + penalty, 4);
    }
    // X-CLR's targets from a class graph by label instead of the batch's own matrix.
    const byLabel = createObjective('xclr', {
      model,
      temperature: 0.3,
      targetTemperature: 0.2,
      targets: { needs: ['labels'], of: () => similarity },
    });
    expect(byLabel.needs).toEqual(['labels']);
    expect(byLabel.loss({ ...batch, similarity: undefined }).dataSync()[0]).toBeCloseTo(expected.xclr.dataSync()[0], 5);
  });

  it('vicreg and barlow compute their standard loss of both views’ projections, plus weight decay', () => {
    const model = tinyModel();
    const batch = batchOf();
    const [zA, zB] = model.projectViews(batch.views[0] as tf.Tensor4D, batch.views[1] as tf.Tensor4D);
    const expected = {
      vicreg: vicregLoss(zA, zB, { invarianceWeight: 10, varianceWeight: 20, covarianceWeight: 2 }),
      barlow: barlowTwinsLoss(zA, zB, { redundancyWeight: 0.01 }),
    };
    const options = { model, invarianceWeight: 10, varianceWeight: 20, covarianceWeight: 2, redundancyWeight: 0.01 };
    const penalty =
      tf.addN(model.trainableWeights.filter((v) => v.rank >= 2).map((v) => tf.sum(tf.square(v)))).dataSync()[0] * 0.05;
    for (const name of ['vicreg', 'barlow'] as const) {
      const objective = createObjective(name, options);
      expect(objective.name).toBe(name);
      expect(objective.needs).toEqual([]);
      // The standard forms read nothing but the views.
      const viewsOnly = { views: batch.views } as TrainingBatch;
      expect(objective.loss(viewsOnly).dataSync()[0]).toBeCloseTo(expected[name].dataSync()[0], 4);
      const decayed = createObjective(name, { ...options, weightDecay: 0.1 });
      expect(decayed.loss(batch).dataSync()[0]).toBeCloseTo(expected[name].dataSync()[0] + penalty, 3);
    }
    // The defaults are the papers': λ = μ = 25, ν = 1 and λ = 5e-3.
    expect(createObjective('vicreg', { model }).loss(batch).dataSync()[0]).toBeCloseTo(vicregLoss(zA, zB).dataSync()[0], 4);
    expect(createObjective('barlow', { model }).loss(batch).dataSync()[0]).toBeCloseTo(barlowTwinsLoss(zA, zB).dataSync()[0], 4);
  });

  it('vicreg and barlow given targets train their graph forms (X-VICReg, X-Barlow) on the softmax of the graph at τ_s', () => {
    const model = tinyModel();
    const batch = batchOf();
    const [zA, zB] = model.projectViews(batch.views[0] as tf.Tensor4D, batch.views[1] as tf.Tensor4D);
    const similarity = tf.tensor2d(batch.similarity as Float32Array, [8, 8]);
    const targets = { needs: ['labels'] as const, of: () => similarity };
    const expected = {
      vicreg: vicregGraphLoss(zA, zB, { similarity, targetTemperature: 0.2 }),
      barlow: barlowTwinsGraphLoss(zA, zB, { similarity, targetTemperature: 0.2 }),
    };
    const standard = { vicreg: vicregLoss(zA, zB), barlow: barlowTwinsLoss(zA, zB) };
    for (const name of ['vicreg', 'barlow'] as const) {
      const objective = createObjective(name, { model, targets, targetTemperature: 0.2 });
      expect(objective.needs).toEqual(['labels']);
      const value = objective.loss({ ...batch, similarity: undefined }).dataSync()[0];
      expect(value).toBeCloseTo(expected[name].dataSync()[0], 4);
      expect(Math.abs(value - standard[name].dataSync()[0])).toBeGreaterThan(1e-3);
      expect(() => objective.loss({ views: batch.views } as TrainingBatch)).toThrow(`objective ${name} needs batch.labels: `);
    }
    // τ_s defaults to 0.1, as X-CLR's.
    const byDefault = createObjective('vicreg', { model, targets }).loss(batch).dataSync()[0];
    expect(byDefault).toBeCloseTo(vicregGraphLoss(zA, zB, { similarity, targetTemperature: 0.1 }).dataSync()[0], 4);
  });

  it('vicreg and barlow train: on one repeated batch the loss falls', async () => {
    const fixed = batchOf();
    for (const name of ['vicreg', 'barlow'] as const) {
      const model = tinyModel(3);
      const objective = createObjective(name, { model });
      const losses: number[] = [];
      await fit({
        objective,
        data: Array.from({ length: 15 }, () => ({ views: fixed.views.map((v) => v.clone()) }) as TrainingBatch),
        optimizer: tf.train.adam(1e-2),
        callbacks: [{ onStepEnd: (log) => void losses.push(log.loss) }],
      });
      expect(losses).toHaveLength(15);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses.at(-1)!).toBeLessThan(0.9 * losses[0]);
      model.dispose();
    }
  });

  it('clip trains a projection tower and a logit scale clamped after each step; its text embeddings serve retrieval', async () => {
    const model = tinyModel();
    const objective = createObjective('clip', { model, textTower: { type: 'projection', inputDim: 6 }, initialLogitScale: 99 });
    expect(objective.needs).toEqual(['captionEmbeddings']);
    const rows = Float32Array.from({ length: 8 * 6 }, (_, i) => Math.sin(i));
    const batch = { ...batchOf(), captionEmbeddings: rows };
    const image = model.project(batch.views[0] as tf.Tensor4D);
    const text = objective.embedText!(Array(8).fill('x'), rows);
    expect(text.shape).toEqual([8, 4]);
    expect(objective.loss(batch).dataSync()[0]).toBeCloseTo(clipLoss(image, text, { logitScale: 99 }).dataSync()[0], 4);
    const data = mapBatches(seededSource(3), (b) => ({ ...b, captionEmbeddings: rows }));
    await fit({ objective, data, optimizer: tf.train.sgd(5) });
    expect((await objective.metrics!()).logitScale).toBeLessThanOrEqual(100);
    expect(objective.variables).toHaveLength(model.trainableWeights.length + 3);
    objective.dispose();
  });

  it('clip with the small word-level tower reads captions', async () => {
    const model = tinyModel();
    const captions = ['a red coat', 'a blue bag', 'a red bag', 'a coat', 'a bag', 'red', 'blue', 'coat'];
    const objective = createObjective('clip', {
      model,
      textTower: { type: 'small', pooling: 'mean', embedDim: 8, maxLength: 4, vocabularySize: 20, vocabularyFrom: captions },
    });
    expect(objective.needs).toEqual(['captions']);
    const result = await fit({
      objective,
      data: mapBatches(seededSource(2), (b) => ({ ...b, captions })),
      optimizer: tf.train.adam(1e-2),
    });
    expect(Number.isFinite(result.lastLoss)).toBe(true);
    expect(() => objective.loss(batchOf())).toThrow(
      'objective clip needs batch.captions: N caption strings; this batch has none',
    );
    objective.dispose();
  });

  it('supervised trains a linear classifier on the backbone from the labels', async () => {
    const model = tinyModel();
    const objective = createObjective('supervised', { model, numClasses: 3, seed: 4 });
    expect(objective.variables).toHaveLength(model.trainableWeights.length + 2);
    const losses: number[] = [];
    await fit({
      objective,
      data: seededSource(),
      optimizer: tf.train.adam(3e-2),
      epochs: 5,
      callbacks: [{ onStepEnd: (log) => void losses.push(log.loss) }],
    });
    expect(losses.at(-1)!).toBeLessThan(losses[0]);
    expect(() => createObjective('supervised', { model, numClasses: 1 })).toThrow('numClasses must be an integer ≥ 2, got 1');
    objective.dispose();
  });
});
