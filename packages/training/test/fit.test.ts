import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { createObjective, earlyStopping, fit, metricsLog, readMetrics, type StepLog, type TrainingBatch } from '../src/index.js';
import { seededSource, tinyModel, tmpDir } from './helpers.js';

/** Trains a fresh tiny model with X-CLR and returns each step's loss. */
async function run(o: {
  dir?: string;
  maxSteps?: number;
  resume?: boolean;
  every?: number;
  crashAt?: number;
  epochs?: number;
  seed?: number;
  logEvery?: number;
  readEveryMs?: number;
}) {
  const model = tinyModel(o.seed ?? 1);
  const objective = createObjective('xclr', { model, temperature: 0.5 });
  const optimizer = tf.train.adam(1e-2);
  const losses: [number, number][] = [];
  const data = seededSource();
  try {
    const result = await fit({
      objective,
      data,
      optimizer,
      epochs: o.epochs ?? 2,
      maxSteps: o.maxSteps,
      logEvery: o.logEvery,
      readEveryMs: o.readEveryMs,
      resume: o.resume,
      fingerprint: { seed: o.seed ?? 1 },
      checkpoint: o.dir ? { dir: o.dir, every: o.every ?? 2, architecture: model.config } : undefined,
      callbacks: [
        {
          onStepEnd: (log: StepLog) => {
            losses.push([log.step, log.loss]);
            if (log.step === o.crashAt) throw new Error('simulated crash');
          },
        },
      ],
    });
    return { losses, result, served: data.served };
  } finally {
    model.dispose();
    objective.dispose();
    optimizer.dispose();
  }
}

describe('fit', () => {
  it('trains: the loss falls, state counts steps and epochs', async () => {
    const { losses, result } = await run({ epochs: 3 });
    expect(losses.map(([s]) => s)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(result.state).toMatchObject({ step: 12, epoch: 3, stepInEpoch: 0 });
    expect(result.stopped).toBe(false);
    expect(losses.at(-1)![1]).toBeLessThan(losses[0][1]);
    expect(result.samplesPerSecond).toBeGreaterThan(0);
  });

  it('a crash at any step loses at most checkpoint.every steps, and the resumed losses equal an uninterrupted run', async () => {
    const whole = await run({});
    for (const crashAt of [1, 3, 5, 6]) {
      const dir = tmpDir('xclr-fit-crash-');
      await expect(run({ dir, crashAt, every: 2 })).rejects.toThrow('simulated crash');
      const file = path.join(dir, 'last', 'manifest.json');
      const manifest = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : { step: 0 };
      expect(crashAt - manifest.step).toBeLessThanOrEqual(2);
      const resumed = await run({ dir, resume: true });
      expect(JSON.stringify(resumed.losses), `crash at ${crashAt}`).toBe(JSON.stringify(whole.losses.slice(manifest.step)));
      expect(resumed.served[0]).toBe(`${Math.floor(manifest.step / 4)}:${manifest.step % 4}`);
    }
  });

  it('resumes from the complete copy a crash between the two renames of a checkpoint swap left, and cleans up on the next save', async () => {
    const whole = await run({});
    const dir = tmpDir('xclr-fit-swap-');
    await run({ dir, maxSteps: 4, every: 2 });
    // The crash: `last` was moved aside, the new copy never renamed into place; a torn temp copy too.
    fs.renameSync(path.join(dir, 'last'), path.join(dir, 'last.old-1-1'));
    fs.mkdirSync(path.join(dir, 'last.tmp-2-2'));
    fs.writeFileSync(path.join(dir, 'last.tmp-2-2', 'manifest.json'), '{"format": "xclr-checkp');
    const resumed = await run({ dir, resume: true });
    expect(resumed.losses).toEqual(whole.losses.slice(4));
    expect(fs.readdirSync(dir).sort()).toEqual(['last']);
  });

  it('leaks no tensor: batches are disposed after their step, prefetched ones on a stop', async () => {
    const model = tinyModel();
    const objective = createObjective('supcon', { model });
    const optimizer = tf.train.sgd(0.1); // keeps its learning rate as a tensor
    const before = tf.memory().numTensors;
    await fit({ objective, data: seededSource(), optimizer, epochs: 2 });
    await fit({ objective, data: seededSource(), optimizer, maxSteps: 3 });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('an aborted signal stops after the current step with a checkpoint of that step', async () => {
    const model = tinyModel();
    const objective = createObjective('ntxent', { model, temperature: 0.5 });
    const controller = new AbortController();
    const dir = tmpDir('xclr-fit-abort-');
    const result = await fit({
      objective,
      data: seededSource(),
      optimizer: tf.train.adam(1e-2),
      epochs: 5,
      signal: controller.signal,
      checkpoint: { dir, every: 100 },
      callbacks: [{ onStepEnd: (log) => (log.step === 3 ? controller.abort(new Error('SIGTERM')) : undefined) }],
    });
    expect(result).toMatchObject({ stopped: true, reason: 'SIGTERM', stepsRun: 3 });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'last', 'manifest.json'), 'utf8')).step).toBe(3);
    model.dispose();
  });

  it('refuses a resume whose batches would differ (another seed), naming the key', async () => {
    const dir = tmpDir('xclr-fit-fp-');
    await run({ dir, maxSteps: 2 });
    await expect(run({ dir, resume: true, seed: 2 })).rejects.toThrow(/cannot resume exactly with seed changed \(seed: 1 ≠ 2/);
  });

  it('a non-finite loss stops the run with a clear error', async () => {
    const model = tinyModel();
    const objective = createObjective('ntxent', { model });
    const nan = { ...objective, loss: () => tf.mul(tf.sum(objective.variables[0]), Number.NaN) as tf.Scalar };
    await expect(fit({ objective: nan, data: seededSource(), optimizer: tf.train.sgd(0.1) })).rejects.toThrow(
      /loss became NaN at step 1; lower the learning rate/,
    );
    model.dispose();
  });

  it('with logEvery, reads the device once per log step (no synchronous read) and still hands every step its own loss', async () => {
    const each = await run({ epochs: 2 });
    const reads = vi.spyOn(tf.Tensor.prototype, 'data');
    const syncReads = vi.spyOn(tf.Tensor.prototype, 'dataSync').mockImplementation(() => {
      throw new Error('a synchronous read in fit');
    });
    try {
      const batched = await run({ epochs: 2, logEvery: 3, readEveryMs: Number.POSITIVE_INFINITY });
      expect(batched.losses).toEqual(each.losses);
      expect(batched.losses.map(([step]) => step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      // Steps 3 and 6 (log steps), 4 and 8 (epoch ends): four reads for eight steps.
      expect(reads).toHaveBeenCalledTimes(4);
      expect(syncReads).not.toHaveBeenCalled();
      // readEveryMs: 0 keeps every step live (one read per step), with the same losses.
      reads.mockClear();
      expect((await run({ epochs: 2, logEvery: 3, readEveryMs: 0 })).losses).toEqual(each.losses);
      expect(reads).toHaveBeenCalledTimes(8);
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('a non-finite loss between log steps is named by its step, and no checkpoint follows it', async () => {
    const dir = tmpDir('xclr-fit-nan-');
    const model = tinyModel();
    const objective = createObjective('xclr', { model });
    let calls = 0;
    const late = {
      ...objective,
      loss: (b: TrainingBatch) => (++calls >= 3 ? tf.mul(objective.loss(b), Number.NaN) : objective.loss(b)) as tf.Scalar,
    };
    await expect(
      fit({
        objective: late,
        data: seededSource(),
        optimizer: tf.train.sgd(0.1),
        logEvery: 5,
        readEveryMs: Number.POSITIVE_INFINITY,
        checkpoint: { dir, every: 2 },
      }),
    ).rejects.toThrow(/loss became NaN at step 3;/);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'last', 'manifest.json'), 'utf8')).step).toBe(2);
    model.dispose();
  });

  it('validation picks the best checkpoint; early stopping survives in the state', async () => {
    const model = tinyModel();
    const objective = createObjective('ntxent', { model });
    const scores = [0.5, 0.7, 0.6, 0.6, 0.9];
    let epoch = 0;
    const dir = tmpDir('xclr-fit-best-');
    const result = await fit({
      objective,
      data: seededSource(2),
      optimizer: tf.train.adam(1e-3),
      epochs: 5,
      validate: () => scores[epoch++],
      checkpoint: { dir },
      callbacks: [earlyStopping({ patience: 2 })],
    });
    expect(result).toMatchObject({ stopped: true, reason: 'early stopping: no improvement for 2 epochs' });
    expect(result.state).toMatchObject({ epoch: 4, bestMetric: 0.7, epochsSinceBest: 2 });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'best', 'manifest.json'), 'utf8')).step).toBe(4);
    model.dispose();
  });

  it('validateEvery validates every so many epochs and at the last; early stopping counts epochs', async () => {
    const model = tinyModel();
    const objective = createObjective('ntxent', { model });
    const validated: number[] = [];
    const logged: (number | undefined)[] = [];
    const scores = [0.5, 0.4, 0.3];
    const result = await fit({
      objective,
      data: seededSource(1),
      optimizer: tf.train.adam(1e-3),
      epochs: 7,
      validateEvery: 3,
      validate: () => scores[validated.push(validated.length) - 1],
      callbacks: [{ onEpochEnd: (log) => void logged.push(log.validation) }],
    });
    expect(logged).toEqual([undefined, undefined, 0.5, undefined, undefined, 0.4, 0.3]);
    // best at epoch 3; then validations at 6 (+3 epochs) and 7 (+1).
    expect(result.state).toMatchObject({ epoch: 7, bestMetric: 0.5, epochsSinceBest: 4 });
    await expect(
      fit({ objective, data: seededSource(1), optimizer: tf.train.adam(1e-3), validateEvery: 0, validate: () => 1 }),
    ).rejects.toThrow('fit: validateEvery must be an integer ≥ 1, got 0');
    model.dispose();
  });

  it('plain async iterables train; a resume skips what the checkpoint had consumed', async () => {
    const source = seededSource(6);
    async function* stream() {
      yield* source.epoch(0, 0);
    }
    const model = tinyModel();
    const objective = createObjective('supcon', { model });
    const dir = tmpDir('xclr-fit-iter-');
    const first = await fit({ objective, data: stream(), optimizer: tf.train.adam(1e-3), maxSteps: 4, checkpoint: { dir } });
    expect(first.state.step).toBe(4);
    const second = await fit({ objective, data: stream(), optimizer: tf.train.adam(1e-3), resume: true, checkpoint: { dir } });
    expect(second.stepsRun).toBe(2);
    expect(second.state).toMatchObject({ step: 6, epoch: 1 });
    model.dispose();
  });

  it('a batch without what the objective needs is a clear error', async () => {
    const model = tinyModel();
    const objective = createObjective('xclr', { model });
    const data = [{ views: [tf.zeros([8, 4, 4, 1]), tf.zeros([8, 4, 4, 1])] }];
    await expect(fit({ objective, data, optimizer: tf.train.sgd(0.1) })).rejects.toThrow(
      'objective xclr needs batch.similarity: the [N, N] target similarity of the batch (tensor or Float32Array of N × N); this batch has none',
    );
    model.dispose();
  });
});

describe('one run per checkpoint folder', () => {
  it('a second run on the same folder is refused while the first runs, naming its pid; a lock of a dead process is taken over', async () => {
    const dir = tmpDir('xclr-fit-lock-');
    let second: Promise<unknown> | null = null;
    const model = tinyModel();
    const objective = createObjective('ntxent', { model });
    await fit({
      objective,
      data: seededSource(),
      optimizer: tf.train.adam(0.01),
      checkpoint: { dir, architecture: model.config },
      callbacks: [
        {
          onStepEnd: (log) => {
            if (log.step === 1) second = run({ dir, resume: true }).catch((err: Error) => err);
          },
        },
      ],
    });
    expect(String(await second)).toMatch(
      new RegExp(
        `^Error: ${dir}: in use by another run \\(pid ${process.pid} on .*\\); stop it first, or delete ${dir}/lock if that process is gone$`,
      ),
    );
    expect(fs.existsSync(path.join(dir, 'lock'))).toBe(false); // released at the end
    const { spawnSync } = await import('node:child_process');
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
    fs.writeFileSync(
      path.join(dir, 'lock'),
      JSON.stringify({ pid: dead, host: (await import('node:os')).hostname(), since: 'x' }),
    );
    const resumed = await run({ dir, resume: true });
    expect(resumed.result.state.step).toBe(8);
    expect(fs.existsSync(path.join(dir, 'lock'))).toBe(false);
    model.dispose();
  });
});

describe('metricsLog', () => {
  it('writes step and epoch records, drops records past the checkpoint on resume and a torn last line', async () => {
    const dir = tmpDir('xclr-fit-metrics-');
    const file = path.join(dir, 'metrics.jsonl');
    const model = tinyModel();
    const objective = createObjective('xclr', { model });
    const train = (maxSteps: number, resume: boolean) =>
      fit({
        objective,
        data: seededSource(),
        optimizer: tf.train.adam(1e-3),
        epochs: 2,
        maxSteps,
        resume,
        validate: () => 0.5,
        checkpoint: { dir: path.join(dir, 'ckpt'), every: 100 },
        callbacks: [metricsLog(file, { every: 2, validationName: 'valKnnTop1', stepFields: { lr: 1e-3 } })],
      });
    await train(6, false);
    fs.appendFileSync(file, '{"kind":"step","step":7,"lo'); // a kill during an append
    await train(8, true);
    const records = readMetrics(file);
    expect(records.map((r) => `${r.kind}:${r.step}`)).toEqual([
      'step:2',
      'step:4',
      'checkpoint:4', // best
      'checkpoint:4', // last
      'epoch:4',
      'step:6',
      'checkpoint:6', // stopped at maxSteps
      'step:8',
      'checkpoint:8',
      'epoch:8',
    ]);
    expect(records[4]).toMatchObject({ epoch: 1, valKnnTop1: 0.5 });
    expect(records[3]).toMatchObject({ name: 'last' });
    expect(records[0]).toMatchObject({ lr: 1e-3 });
    fs.writeFileSync(file, '{"step":1}\nnot json\n{"step":2}\n');
    expect(() => readMetrics(file)).toThrow(`${file}:2: not a JSON record`);
    model.dispose();
  });
});
