/** Where a run stands: everything `fit` needs to continue exactly, as saved in each checkpoint. */
export interface TrainingState {
  /** Optimiser steps taken. */
  step: number;
  /** The epoch the next batch belongs to (0-based). */
  epoch: number;
  /** Batches of `epoch` already trained: a resumed run starts at this batch. */
  stepInEpoch: number;
  /** The best validation metric so far (higher is better), or null before the first. */
  bestMetric: number | null;
  /** Epochs since the best metric improved (early stopping). */
  epochsSinceBest: number;
  /**
   * What the run's batches depend on (seed, batch size, ...): a resume with other values would
   * not see the batches an uninterrupted run sees, so `fit` refuses it.
   */
  fingerprint: Record<string, unknown>;
}

export const INITIAL_STATE: TrainingState = {
  step: 0,
  epoch: 0,
  stepInEpoch: 0,
  bestMetric: null,
  epochsSinceBest: 0,
  fingerprint: {},
};

/** The state stored in a checkpoint manifest (older checkpoints stored `bestVal`). */
export function stateFromManifest(manifest: { step: number; epoch: number; state: Record<string, unknown> }): TrainingState {
  const s = manifest.state;
  const best = (s.bestMetric ?? s.bestVal) as number | null | undefined;
  return {
    step: manifest.step,
    epoch: manifest.epoch,
    stepInEpoch: (s.stepInEpoch as number | undefined) ?? 0,
    bestMetric: best == null || best < 0 ? null : best,
    epochsSinceBest: (s.epochsSinceBest as number | undefined) ?? 0,
    fingerprint: (s.fingerprint as Record<string, unknown> | undefined) ?? {},
  };
}
