import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ntXentQueueLoss, supConQueueLoss, xclrLoss, xclrQueueLoss } from '@xclr/losses';
import type { ContrastiveModel } from '@xclr/models';
import { describe, expect, it } from 'vitest';
import {
  type BatchTargets,
  createObjective,
  fit,
  type Objective,
  type QueueOptions,
  type StepLog,
  type TrainingBatch,
} from '../src/index.js';
import { seededSource, tinyModel, tmpDir } from './helpers.js';

// seededSource's batches: 8 samples with indices step · 8 + i (32 samples over 4 steps) and labels.
const SAMPLES = 32;
const CAPTION_DIM = 6;

/** Unit "caption embeddings" of the 32 samples, row-major. */
const captions = tf.tidy(() => {
  const x = tf.randomNormal([SAMPLES, CAPTION_DIM], 0, 1, 'float32', 5);
  return tf.div(x, tf.norm(x, 2, 1, true)).dataSync() as Float32Array;
});

/** Cosine similarity of samples by index: X-CLR's caption graph, batch × batch and batch × queue. */
function between(a: Int32Array, b: Int32Array): tf.Tensor2D {
  const rows = (keys: Int32Array) =>
    tf.tensor2d(
      Array.from(keys).flatMap((i) => Array.from(captions.subarray(i * CAPTION_DIM, (i + 1) * CAPTION_DIM))),
      [keys.length, CAPTION_DIM],
    );
  return tf.tidy(() => tf.matMul(rows(a), rows(b), false, true));
}

const targets: BatchTargets = {
  needs: ['indices'],
  of: (batch) => between(batch.indices as Int32Array, batch.indices as Int32Array),
  key: 'indices',
  between,
};

type Kind = 'xclr' | 'ntxent' | 'supcon';

function objectiveOf(kind: Kind, model: ContrastiveModel, queue: QueueOptions | undefined): Objective {
  const common = { model, temperature: 0.2, queue, seed: 4 };
  return kind === 'xclr'
    ? createObjective('xclr', { ...common, targetTemperature: 0.1, targets })
    : createObjective(kind, common);
}

const firstBatches = (count: number): TrainingBatch[] => Array.from(seededSource(count).epoch(0, 0) as Iterable<TrainingBatch>);

/** Trains a fresh tiny model with a queue and returns each step's loss. */
async function run(o: {
  kind: Kind;
  queue?: QueueOptions;
  chunkSize?: number;
  dir?: string;
  resume?: boolean;
  crashAt?: number;
  maxSteps?: number;
}) {
  const model = tinyModel(1);
  const objective = objectiveOf(o.kind, model, o.queue);
  const optimizer = tf.train.adam(1e-2);
  const losses: [number, number][] = [];
  try {
    await fit({
      objective,
      data: seededSource(),
      optimizer,
      epochs: 2,
      maxSteps: o.maxSteps,
      chunkSize: o.chunkSize,
      resume: o.resume,
      checkpoint: o.dir ? { dir: o.dir, every: 2, architecture: model.config } : undefined,
      callbacks: [
        {
          onStepEnd: (log: StepLog) => {
            losses.push([log.step, log.loss]);
            if (log.step === o.crashAt) throw new Error('simulated crash');
          },
        },
      ],
    });
    return losses;
  } finally {
    model.dispose();
    objective.dispose();
    optimizer.dispose();
  }
}

describe('a memory queue in the objectives', () => {
  it('keeps the last Q detached view-B projections and their keys, first in first out', () => {
    const model = tinyModel(1);
    const objective = objectiveOf('xclr', model, { size: 12 });
    const [b1, b2] = firstBatches(2);
    const projections = [b1, b2].map((b) => model.projectViews(b.views[0] as tf.Tensor4D, b.views[1] as tf.Tensor4D)[1]);
    for (const batch of [b1, b2]) {
      tf.dispose(objective.loss(batch));
      objective.afterStep?.();
    }
    const state = objective.saveState?.();
    expect(state?.values.queue).toMatchObject({ size: 12, filled: 12, position: 4, dim: 4, key: 'indices' });
    const ring = state?.tensors['queue/embeddings'].arraySync() as number[][];
    const [z1, z2] = projections.map((z) => z.arraySync());
    // Batch 1 filled rows 0–7; batch 2 rows 8–11, then wrapped over rows 0–3.
    const expected = [...z2.slice(4, 8), ...z1.slice(4, 8), ...z2.slice(0, 4)];
    ring.forEach((row, j) => {
      for (const [k, v] of row.entries()) expect(v).toBeCloseTo(expected[j][k], 6);
    });
    expect(Array.from(state?.tensors['queue/keys'].dataSync() ?? [])).toEqual([12, 13, 14, 15, 4, 5, 6, 7, 8, 9, 10, 11]);
    tf.dispose([...Object.values(state?.tensors ?? {}), ...projections]);
    objective.dispose();
    model.dispose();
  });

  it('the loss is the queued loss of the batch against the entries, with targets from between(batch keys, entry keys)', () => {
    const model = tinyModel(1);
    const [b1, b2] = firstBatches(2);
    const [a1, z1] = model.projectViews(b1.views[0] as tf.Tensor4D, b1.views[1] as tf.Tensor4D);
    const [a2, z2] = model.projectViews(b2.views[0] as tf.Tensor4D, b2.views[1] as tf.Tensor4D);
    const i1 = b1.indices as Int32Array;
    const i2 = b2.indices as Int32Array;
    const l1 = Array.from(b1.labels as Int32Array);
    const l2 = Array.from(b2.labels as Int32Array);
    const options = { temperature: 0.2 };
    const expected: Record<Kind, [tf.Scalar, tf.Scalar]> = {
      // The first batch meets an empty queue: the batch-only loss.
      xclr: [
        xclrLoss(a1, z1, between(i1, i1), { ...options, targetTemperature: 0.1 }),
        xclrQueueLoss(
          a2,
          z2,
          between(i2, i2),
          { embeddings: z1, similarity: between(i2, i1) },
          { ...options, targetTemperature: 0.1 },
        ),
      ],
      ntxent: [
        ntXentQueueLoss(a1, z1, { embeddings: tf.zeros([0, 4]) }, options),
        ntXentQueueLoss(a2, z2, { embeddings: z1 }, options),
      ],
      supcon: [
        supConQueueLoss(a1, z1, l1, { embeddings: tf.zeros([0, 4]), labels: [] }, { ...options, baseTemperature: 0.2 }),
        supConQueueLoss(a2, z2, l2, { embeddings: z1, labels: l1 }, { ...options, baseTemperature: 0.2 }),
      ],
    };
    for (const kind of ['xclr', 'ntxent', 'supcon'] as const) {
      const objective = objectiveOf(kind, model, { size: 64 });
      const got = [b1, b2].map((batch) => {
        const value = objective.loss(batch).dataSync()[0];
        objective.afterStep?.();
        return value;
      });
      expect(got[0], kind).toBeCloseTo(expected[kind][0].dataSync()[0], 5);
      expect(got[1], kind).toBeCloseTo(expected[kind][1].dataSync()[0], 5);
      objective.dispose();
    }
    model.dispose();
  });

  it('with momentum, entries come from an EMA copy of the model, updated after each step', () => {
    const model = tinyModel(1);
    const momentum = 0.75;
    const objective = objectiveOf('ntxent', model, { size: 16, momentum });
    const [b1] = firstBatches(1);
    const before = model.trainableWeights.map((w) => w.arraySync());
    const optimizer = tf.train.sgd(0.5);
    const keys = model.project(b1.views[1] as tf.Tensor4D).arraySync();
    optimizer.minimize(() => objective.loss(b1));
    objective.afterStep?.();
    const state = objective.saveState?.();
    // The entries are the copy's projections before its update (the model's own at step 0).
    const ring = state?.tensors['queue/embeddings'].arraySync() as number[][];
    ring.slice(0, 8).forEach((row, j) => {
      for (const [k, v] of row.entries()) expect(v).toBeCloseTo(keys[j][k], 5);
    });
    // θ_k = m θ_0 + (1 − m) θ_1 (the MLP has no non-trainable weights: the copy's weights are its trainable ones, in order).
    const after = model.trainableWeights.map((w) => w.dataSync());
    expect(after[0][0]).not.toBeCloseTo((before[0] as number[][])[0][0], 6);
    model.trainableWeights.forEach((_, i) => {
      const saved = state?.tensors[`queue/momentum/${i}`].dataSync() as Float32Array;
      const old = (before[i] as number[] | number[][]).flat() as number[];
      for (const [k, v] of saved.entries()) expect(v).toBeCloseTo(momentum * old[k] + (1 - momentum) * after[i][k], 5);
    });
    tf.dispose(Object.values(state?.tensors ?? {}));
    objective.dispose();
    optimizer.dispose();
    model.dispose();
  });

  for (const [kind, queue] of [
    ['xclr', { size: 12 }],
    ['xclr', { size: 20, momentum: 0.9 }],
    ['ntxent', { size: 12, momentum: 0.99 }],
    ['supcon', { size: 12 }],
  ] as const) {
    it(`${kind} with queue ${JSON.stringify(queue)}: a resumed run's losses equal an uninterrupted run's`, async () => {
      const whole = await run({ kind, queue });
      const without = await run({ kind });
      // The queue changes the losses from the second step on, not the first.
      expect(whole[0][1]).toBeCloseTo(without[0][1], 5);
      expect(Math.abs(whole[3][1] - without[3][1])).toBeGreaterThan(1e-4);
      for (const crashAt of [3, 6]) {
        const dir = tmpDir('xclr-queue-resume-');
        await expect(run({ kind, queue, dir, crashAt })).rejects.toThrow('simulated crash');
        const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'last', 'manifest.json'), 'utf8'));
        expect(manifest.state.objective.queue).toMatchObject({
          size: queue.size,
          filled: Math.min(queue.size, 8 * manifest.step),
        });
        expect(manifest.tensors.map((t: { name: string }) => t.name)).toContain('queue/embeddings');
        const resumed = await run({ kind, queue, dir, resume: true });
        expect(JSON.stringify(resumed), `crash at ${crashAt}`).toBe(JSON.stringify(whole.slice(manifest.step)));
      }
    });
  }

  it('a run without a queue saves no objective state and still resumes exactly', async () => {
    const whole = await run({ kind: 'ntxent' });
    const dir = tmpDir('xclr-queue-none-');
    await expect(run({ kind: 'ntxent', dir, crashAt: 3 })).rejects.toThrow('simulated crash');
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'last', 'manifest.json'), 'utf8'));
    expect(manifest.state.objective).toBeUndefined();
    expect(manifest.tensors).toBeUndefined();
    expect(await run({ kind: 'ntxent', dir, resume: true })).toEqual(whole.slice(2));
  });

  it("trains with fit's chunkSize (gradient caching): the same losses as whole batches", async () => {
    for (const [kind, queue] of [
      ['xclr', { size: 12 }],
      ['supcon', { size: 12, momentum: 0.9 }],
    ] as const) {
      const whole = await run({ kind, queue, maxSteps: 6 });
      const chunked = await run({ kind, queue, maxSteps: 6, chunkSize: 3 });
      chunked.forEach(([step, loss], i) => {
        expect(step).toBe(whole[i][0]);
        expect(loss, `${kind} step ${step}`).toBeCloseTo(whole[i][1], 4);
      });
    }
  });

  it('leaks no tensor: the count is flat across steps, and dispose() frees the queue and the momentum encoder', async () => {
    const baseline = tf.memory().numTensors;
    const model = tinyModel(1);
    const objective = objectiveOf('xclr', model, { size: 12, momentum: 0.9 });
    const optimizer = tf.train.sgd(0.1);
    const counts: number[] = [];
    await fit({
      objective,
      data: seededSource(),
      optimizer,
      epochs: 2,
      callbacks: [{ onStepEnd: () => void counts.push(tf.memory().numTensors) }],
    });
    expect(new Set(counts.slice(1)).size).toBe(1);
    objective.dispose();
    optimizer.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('clear errors: a queue without keyed targets, another queue on resume, a queue checkpoint resumed without one', async () => {
    const model = tinyModel(1);
    expect(() => createObjective('xclr', { model, queue: { size: 8 } })).toThrow(
      "objective xclr: a queue needs targets with key ('indices' or 'labels') and between(keysA, keysB)",
    );
    expect(() => createObjective('ntxent', { model, queue: { size: 8, momentum: 1 } })).toThrow(
      'objective ntxent: queue.momentum must be a number in [0, 1), got 1',
    );
    expect(() => createObjective('supcon', { model, queue: { size: 2.5 } })).toThrow(
      'objective supcon: queue.size must be an integer ≥ 0, got 2.5',
    );
    model.dispose();
    const dir = tmpDir('xclr-queue-mismatch-');
    await run({ kind: 'supcon', queue: { size: 12 }, dir, maxSteps: 2 });
    await expect(run({ kind: 'supcon', queue: { size: 16 }, dir, resume: true })).rejects.toThrow(
      'objective supcon: cannot resume the memory queue exactly: its size was 12, now 16',
    );
    await expect(run({ kind: 'supcon', dir, resume: true })).rejects.toThrow(
      /the checkpoint holds state of objective supcon \(queue\) that this one does not keep/,
    );
    const plain = tmpDir('xclr-queue-plain-');
    await run({ kind: 'supcon', dir: plain, maxSteps: 2 });
    await expect(run({ kind: 'supcon', queue: { size: 12 }, dir: plain, resume: true })).rejects.toThrow(
      'objective supcon: cannot resume the memory queue exactly: the checkpoint holds none (it was saved without a queue)',
    );
  });
});
