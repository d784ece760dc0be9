import * as tf from '@tensorflow/tfjs-core';
import { clipLoss, ntXentLoss, supConLoss, xclrLoss } from '@xclr/losses';
import { describe, expect, it } from 'vitest';
import { createObjective, fit, mapBatches, OBJECTIVE_NAMES, type TrainingBatch } from '../src/index.js';
import { seededSource, tinyModel } from './helpers.js';

const batchOf = (): TrainingBatch => {
  const [first] = seededSource(1).epoch(0, 0) as Iterable<TrainingBatch>;
  return first;
};

describe('objectives', () => {
  it('are listed by name; an unknown name is a clear error', () => {
    expect(OBJECTIVE_NAMES).toEqual(['xclr', 'ntxent', 'supcon', 'clip', 'supervised']);
    // @ts-expect-error: not an objective
    expect(() => createObjective('simsiam', { model: tinyModel() })).toThrow(
      'unknown objective "simsiam"; available: xclr, ntxent, supcon, clip, supervised',
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
    expect(objective.metrics!().logitScale).toBeLessThanOrEqual(100);
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
