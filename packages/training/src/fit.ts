import * as tf from '@tensorflow/tfjs-core';
import { chunkedEmbeddingStepTensors, type StepTensors, trainStepTensors } from '@xclr/models';
import { batchSize, disposeBatchTensors, type TrainingBatch } from './batch.js';
import type { Callback, FitContext, StepLog } from './callbacks/callback.js';
import { type CheckpointOptions, RunCheckpoints } from './checkpoints.js';
import { batchesOf, type DataSource, stepsPerEpochOf } from './data-source.js';
import type { EmbeddingSplit, Objective } from './objectives/objective.js';
import { lockDir } from './run-lock.js';
import { INITIAL_STATE, type TrainingState } from './state.js';

export interface FitOptions<B extends TrainingBatch = TrainingBatch> {
  objective: Objective;
  /** Batches: a `ContrastiveLoader`, any `{ epoch(e, fromStep) }` source, or any (async) iterable. */
  data: DataSource<B>;
  optimizer: tf.Optimizer;
  /** Passes over the data (default 1). */
  epochs?: number;
  /** Stop after this many steps in all (counting steps before a resume). */
  maxSteps?: number;
  /** Clip the global gradient norm (as torch.nn.utils.clip_grad_norm_). */
  clipNorm?: number;
  /**
   * Gradient caching: run the encoder on at most this many samples of a view at a time (embed
   * every chunk without a tape, take the loss and its gradient with respect to the embeddings on
   * the whole batch, back-propagate chunk by chunk). The gradients equal the whole batch's; the
   * cost is one more forward pass of the encoder. Needs `objective.embeddingSplit` and an encoder
   * without batch norm. Default: the whole batch in one pass.
   */
  chunkSize?: number;
  /**
   * Read the loss, gradient norm and the objective's metrics back from the device every this many
   * steps (default 1): one read for all the steps since the last, checked for non-finite values and
   * handed to the callbacks in order. Between reads, steps queue on a GPU backend without waiting.
   * Reads also happen before every checkpoint, at epoch ends and every `readEveryMs`, so no
   * checkpoint follows a NaN.
   */
  logEvery?: number;
  /**
   * Also read back once this many milliseconds have passed since the last read, so progress and
   * callbacks stay live between log steps (default 1000; one read a second costs a GPU little).
   * `Infinity`: on log steps, checkpoints and epoch ends only.
   */
  readEveryMs?: number;
  /** Called at epoch ends (see `validateEvery`); higher is better. The best value's weights are saved as `best`. */
  validate?: () => number | Promise<number>;
  /**
   * Validate at the end of every this many epochs and of the last (default 1): with small data an
   * epoch is a few steps and a validation each would cost more than the training.
   */
  validateEvery?: number;
  callbacks?: Callback[];
  /** Save `last` every `every` steps, at epoch ends and on stops; `best` on a better validation. */
  checkpoint?: CheckpointOptions;
  /** Continue from `checkpoint.dir/last` when it exists (a fresh start otherwise). */
  resume?: boolean;
  /**
   * What the batches depend on (seed, batch size, data): stored in checkpoints; a resume with a
   * different value is refused, as it could not continue exactly.
   */
  fingerprint?: Record<string, unknown>;
  /** Aborting stops the run after the current step, with a checkpoint saved (SIGINT / SIGTERM handlers). */
  signal?: AbortSignal;
  /** Frees a batch after its step (default: disposes every tensor it holds). */
  disposeBatch?: (batch: B) => void;
}

export interface FitResult {
  state: TrainingState;
  /** Whether the run stopped before its end (signal, a callback's `stop`, early stopping). */
  stopped: boolean;
  reason: string | null;
  /** Steps this call ran (after a resume: since the checkpoint). */
  stepsRun: number;
  /** Seconds spent in steps and data loading (no validation, no checkpoints). */
  trainSeconds: number;
  samplesPerSecond: number;
  lastLoss: number | null;
}

const nextTick = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Steps whose loss and gradient norm are still on the device, gathered into one `[2 × steps]`
 * tensor (two inputs per append: webgpu limits the buffers one kernel binds) so that reading them
 * all is a single device read.
 */
class UnreadSteps {
  private values: tf.Tensor1D | null = null;
  private logs: Array<Omit<StepLog, 'loss' | 'gradNorm' | 'samplesPerSecond'>> = [];
  private samples = 0;
  private since = performance.now();

  dispose(): void {
    this.values?.dispose();
    this.values = null;
  }

  /** Time from here counts toward the next read's steps (data loading included). */
  restartClock(): void {
    if (this.logs.length === 0) this.since = performance.now();
  }

  add(step: number, epoch: number, samples: number, result: StepTensors): void {
    const previous = this.values;
    this.values = tf.tidy(() => {
      const pair = tf.stack([result.loss, result.gradNorm]) as tf.Tensor1D;
      return previous ? tf.concat([previous, pair]) : pair;
    });
    tf.dispose([previous, result.loss, result.gradNorm].filter((t) => t !== null));
    this.logs.push({ step, epoch, samples });
    this.samples += samples;
  }

  /** The steps' logs with their values; throughput is the mean over the steps read together. */
  async read(): Promise<{ ms: number; logs: StepLog[] }> {
    if (this.values === null) return { ms: 0, logs: [] };
    const values = this.values;
    this.values = null;
    let data: Float32Array;
    try {
      data = (await values.data()) as Float32Array;
    } finally {
      values.dispose();
    }
    const now = performance.now();
    const ms = now - this.since;
    const samplesPerSecond = (this.samples * 1000) / Math.max(ms, 1e-6);
    const logs = this.logs.map((log, i) => ({ ...log, loss: data[2 * i], gradNorm: data[2 * i + 1], samplesPerSecond }));
    this.logs = [];
    this.samples = 0;
    this.since = now;
    return { ms, logs };
  }
}

/** The objective's embedding split when `chunkSize` asks for gradient caching; clear errors otherwise. */
function embeddingSplitFor(objective: Objective, chunkSize: number | undefined): EmbeddingSplit | null {
  if (chunkSize === undefined) return null;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new Error(`fit: chunkSize must be an integer ≥ 1, got ${chunkSize}`);
  if (!objective.embeddingSplit)
    throw new Error(
      `fit: chunkSize needs an objective whose loss is a function of per-sample embeddings (objective.embeddingSplit); objective "${objective.name}" has none: train it without chunkSize`,
    );
  return objective.embeddingSplit();
}

/**
 * Trains `objective`'s variables on `data`: one optimiser step per batch, epoch by epoch, with
 * checkpoints every `checkpoint.every` steps and at epoch ends, exact resume from the last one,
 * validation and callbacks. Each batch is disposed after its step; the model, objective and
 * optimiser stay the caller's.
 */
export async function fit<B extends TrainingBatch>(options: FitOptions<B>): Promise<FitResult> {
  const { objective, data, optimizer, callbacks = [], signal } = options;
  const epochs = options.epochs ?? 1;
  const logEvery = options.logEvery ?? 1;
  const readEveryMs = options.readEveryMs ?? 1000;
  const validateEvery = options.validateEvery ?? 1;
  const disposeBatch = options.disposeBatch ?? disposeBatchTensors;
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`fit: epochs must be an integer ≥ 1, got ${epochs}`);
  if (options.maxSteps !== undefined && !(Number.isInteger(options.maxSteps) && options.maxSteps >= 1))
    throw new Error(`fit: maxSteps must be an integer ≥ 1, got ${options.maxSteps}`);
  if (!Number.isInteger(logEvery) || logEvery < 1) throw new Error(`fit: logEvery must be an integer ≥ 1, got ${logEvery}`);
  if (!Number.isInteger(validateEvery) || validateEvery < 1)
    throw new Error(`fit: validateEvery must be an integer ≥ 1, got ${validateEvery}`);
  if (!(readEveryMs >= 0)) throw new Error(`fit: readEveryMs must be ≥ 0, got ${readEveryMs}`);
  if (options.resume && !options.checkpoint) throw new Error('fit: resume needs checkpoint.dir');
  const split = embeddingSplitFor(objective, options.chunkSize);

  const fingerprint = options.fingerprint ?? {};
  const checkpoints = options.checkpoint ? new RunCheckpoints(options.checkpoint, objective, optimizer) : null;
  // One run at a time per checkpoint folder: two would overwrite each other's checkpoints.
  const unlock = options.checkpoint ? lockDir(options.checkpoint.dir) : () => {};
  let state: TrainingState = { ...INITIAL_STATE, fingerprint };
  try {
    if (options.resume && checkpoints?.hasLast()) state = await checkpoints.restore(fingerprint);
  } catch (err) {
    unlock();
    throw err;
  }

  const stepsPerEpoch = stepsPerEpochOf(data);
  const byEpochs = stepsPerEpoch === undefined ? Number.POSITIVE_INFINITY : epochs * stepsPerEpoch;
  const totalSteps = Math.min(options.maxSteps ?? Number.POSITIVE_INFINITY, byEpochs);
  let stopReason: string | null = null;
  const context: FitContext = {
    get state() {
      return state;
    },
    totalSteps: Number.isFinite(totalSteps) ? totalSteps : undefined,
    epochs,
    stop: (reason) => {
      stopReason ??= reason;
    },
  };
  const onAbort = () =>
    context.stop(signal?.reason instanceof Error ? signal.reason.message : String(signal?.reason ?? 'aborted'));
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort);

  const started = performance.now();
  const startStep = state.step;
  let savedStep = -1;
  let trainMs = 0;
  let samples = 0;
  let lastLoss: number | null = null;
  const unread = new UnreadSteps();
  // Reads the steps since the last read (one device read), stops at a non-finite loss, then hands
  // each step to the callbacks in order; the objective's metrics go with the newest step.
  let lastRead = performance.now();
  const readBack = async () => {
    lastRead = performance.now();
    const read = await unread.read();
    if (read.logs.length === 0) return;
    trainMs += read.ms;
    const bad = read.logs.find((log) => !Number.isFinite(log.loss));
    if (bad)
      throw new Error(
        `loss became ${bad.loss} at step ${bad.step}; lower the learning rate, raise the temperature, or check the data (the last checkpoint is from before it)`,
      );
    lastLoss = read.logs[read.logs.length - 1].loss;
    const metrics = objective.metrics ? await objective.metrics() : undefined;
    for (const [i, log] of read.logs.entries()) {
      const last = i === read.logs.length - 1;
      for (const c of callbacks) await c.onStepEnd?.(last && metrics ? { ...log, metrics } : log, context);
    }
    unread.restartClock(); // callbacks are not training time
  };
  const save = async (name: 'last' | 'best') => {
    if (!checkpoints) return;
    const t0 = performance.now();
    await checkpoints.save(name, state);
    if (name === 'last') savedStep = state.step;
    for (const c of callbacks)
      await c.onCheckpoint?.({ name, dir: checkpoints.dirOf(name), step: state.step, ms: performance.now() - t0 }, context);
  };

  try {
    for (const c of callbacks) await c.onTrainBegin?.(context);
    while (state.epoch < epochs && state.step < totalSteps && stopReason === null) {
      unread.restartClock();
      let brokeOff = false;
      let batchesThisEpoch = 0;
      for await (const batch of batchesOf(data, state.epoch, state.stepInEpoch, disposeBatch)) {
        batchesThisEpoch++;
        let n: number;
        let result: StepTensors;
        try {
          n = batchSize(batch);
          const step = { optimizer, variables: objective.variables, clipNorm: options.clipNorm };
          const chunkSize = options.chunkSize ?? n;
          result =
            split && n > chunkSize
              ? chunkedEmbeddingStepTensors(split.embed, split.inputs(batch), (z) => split.lossOfEmbeddings(z, batch), {
                  ...step,
                  chunkSize,
                })
              : trainStepTensors(() => objective.loss(batch), step);
          objective.afterStep?.();
        } finally {
          disposeBatch(batch);
        }
        state = { ...state, step: state.step + 1, stepInEpoch: state.stepInEpoch + 1 };
        unread.add(state.step, state.epoch + 1, n, result);
        samples += n;
        const epochDone = stepsPerEpoch !== undefined && state.stepInEpoch >= stepsPerEpoch;
        const end = stopReason !== null || state.step >= totalSteps;
        const saving = checkpoints !== null && state.step % checkpoints.every === 0 && !epochDone;
        const due = state.step % logEvery === 0 || performance.now() - lastRead >= readEveryMs;
        if (due || saving || end || epochDone) await readBack();
        if (saving) {
          await save('last');
          unread.restartClock();
        }
        if (stopReason !== null || state.step >= totalSteps) {
          brokeOff = !epochDone;
          break;
        }
        await nextTick(); // steps are synchronous: let signals and timers in
      }
      await readBack(); // a source that ended before its announced length
      if (brokeOff) break;
      if (batchesThisEpoch === 0 && state.stepInEpoch === 0)
        throw new Error(`fit: the data source yielded no batches in epoch ${state.epoch + 1}`);
      state = { ...state, epoch: state.epoch + 1, stepInEpoch: 0 };
      const validating = options.validate && (state.epoch % validateEvery === 0 || state.epoch >= epochs);
      const validation = validating ? await options.validate!() : undefined;
      const best = validation !== undefined && (state.bestMetric === null || validation > state.bestMetric);
      if (validation !== undefined)
        state = best
          ? { ...state, bestMetric: validation, epochsSinceBest: 0 }
          : { ...state, epochsSinceBest: state.epochsSinceBest + ((state.epoch - 1) % validateEvery) + 1 };
      if (best) await save('best');
      await save('last');
      const log = { epoch: state.epoch, step: state.step, validation, best, seconds: (performance.now() - started) / 1000 };
      for (const c of callbacks) await c.onEpochEnd?.(log, context);
    }
    if (savedStep !== state.step || state.step === startStep) await save('last');
    const stopped = stopReason !== null;
    for (const c of callbacks) await c.onTrainEnd?.({ stopped, reason: stopReason }, context);
    return {
      state,
      stopped,
      reason: stopReason,
      stepsRun: state.step - startStep,
      trainSeconds: trainMs / 1000,
      samplesPerSecond: samples / Math.max(trainMs / 1000, 1e-9),
      lastLoss,
    };
  } finally {
    unread.dispose();
    signal?.removeEventListener('abort', onAbort);
    unlock();
  }
}
