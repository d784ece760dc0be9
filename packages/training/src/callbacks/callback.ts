import type { TrainingState } from '../state.js';

/** What a callback sees of a run and may do to it. */
export interface FitContext {
  /** The run's position (read-only: `fit` owns it). */
  readonly state: Readonly<TrainingState>;
  /** Steps the run will take in all, when the data source tells its epoch length or maxSteps is set. */
  readonly totalSteps: number | undefined;
  readonly epochs: number;
  /** Stops the run after the current step; a checkpoint is saved first. */
  stop(reason: string): void;
}

export interface StepLog {
  step: number;
  /** 1-based epoch of the step. */
  epoch: number;
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Samples in the step's batch. */
  samples: number;
  /** Throughput of this step, data loading included. */
  samplesPerSecond: number;
  /** The objective's metrics (e.g. CLIP's logit scale), read on log steps only (see `logEvery`). */
  metrics?: Record<string, number>;
}

export interface EpochLog {
  /** Epochs completed. */
  epoch: number;
  step: number;
  /** The validation metric at this epoch's end (higher is better), when `validate` is given. */
  validation?: number;
  /** Whether it is the best so far (the `best` checkpoint was saved). */
  best: boolean;
  /** Seconds since `fit` started. */
  seconds: number;
}

export interface CheckpointLog {
  name: 'last' | 'best';
  dir: string;
  step: number;
  /** Milliseconds the save took. */
  ms: number;
}

/** Hooks into `fit`; every method is optional and may be async. */
export interface Callback {
  onTrainBegin?(context: FitContext): void | Promise<void>;
  onStepEnd?(log: StepLog, context: FitContext): void | Promise<void>;
  onEpochEnd?(log: EpochLog, context: FitContext): void | Promise<void>;
  onCheckpoint?(log: CheckpointLog, context: FitContext): void | Promise<void>;
  onTrainEnd?(result: { stopped: boolean; reason: string | null }, context: FitContext): void | Promise<void>;
}
