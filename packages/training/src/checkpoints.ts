import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  findCheckpoint,
  firstDifference,
  loadCheckpoint,
  readCheckpointManifest,
  readCheckpointTensors,
  saveCheckpoint,
} from '@xclr/models/checkpoint';
import type { Objective } from './objectives/objective.js';
import { stateFromManifest, type TrainingState } from './state.js';

/** Steps between `last` checkpoints when not set (see the README for what a save costs). */
export const DEFAULT_CHECKPOINT_EVERY = 50;

export interface CheckpointOptions {
  /** Folder of the `last` (and `best`) checkpoints. */
  dir: string;
  /** Save `last` every this many steps (default 50), besides every epoch end and every stop. */
  every?: number;
  /** What the weights belong to (e.g. the model config): a resume into anything else is refused. */
  architecture?: unknown;
}

/** Saves and restores a run's `last` and `best` checkpoints with its training state. */
export class RunCheckpoints {
  readonly every: number;

  constructor(
    readonly options: CheckpointOptions,
    private readonly objective: Objective,
    private readonly optimizer: tf.Optimizer,
  ) {
    this.every = options.every ?? DEFAULT_CHECKPOINT_EVERY;
    if (!Number.isInteger(this.every) || this.every < 1)
      throw new Error(`checkpoint.every must be an integer ≥ 1, got ${this.every}`);
  }

  dirOf(name: 'last' | 'best'): string {
    return path.join(this.options.dir, name);
  }

  /** Whether a `last` checkpoint (or a complete copy a crashed save left) exists. */
  hasLast(): boolean {
    return findCheckpoint(this.dirOf('last')) !== null;
  }

  async save(name: 'last' | 'best', state: TrainingState): Promise<void> {
    const { step, epoch, ...rest } = state;
    // The objective's own state (a memory queue): its values in the manifest, its tensors beside the weights.
    const objective = this.objective.saveState?.();
    try {
      await saveCheckpoint(this.dirOf(name), {
        architecture: this.options.architecture ?? null,
        variables: this.objective.variables,
        optimizer: this.optimizer,
        step,
        epoch,
        state: (objective ? { ...rest, objective: objective.values } : rest) as unknown as Record<string, unknown>,
        tensors: objective?.tensors,
      });
    } catch (err) {
      // saveCheckpoint swaps a complete copy in or leaves the old one: say so, with the cause.
      throw new Error(`${this.dirOf(name)}: could not save the checkpoint (${(err as Error).message}); the previous one is intact`);
    } finally {
      if (objective) tf.dispose(Object.values(objective.tensors));
    }
  }

  /** Loads `last` into the variables, optimiser and objective state; refuses a checkpoint whose batches would differ. */
  async restore(fingerprint: Record<string, unknown>): Promise<TrainingState> {
    const dir = this.dirOf('last');
    const ownState = readCheckpointManifest(dir).state.objective as Record<string, unknown> | undefined;
    if (ownState != null && !this.objective.loadState)
      throw new Error(
        `${dir}: the checkpoint holds state of objective ${this.objective.name} (${Object.keys(ownState).join(', ')}) that this one does not keep: resume with the options it was saved with`,
      );
    const manifest = await loadCheckpoint(dir, {
      architecture: this.options.architecture ?? null,
      variables: this.objective.variables,
      optimizer: this.optimizer,
    });
    if (this.objective.loadState) {
      const tensors = readCheckpointTensors(dir);
      try {
        this.objective.loadState({ tensors, values: ownState ?? {} });
      } finally {
        tf.dispose(Object.values(tensors));
      }
    }
    const state = stateFromManifest(manifest);
    const saved = state.fingerprint;
    for (const key of Object.keys(fingerprint)) {
      if (!(key in saved)) continue; // recorded by a newer run only
      const diff = firstDifference(saved[key], fingerprint[key], key);
      if (diff)
        throw new Error(
          `${dir}: cannot resume exactly with ${key} changed (${diff}; checkpoint vs. now): the batches would differ from the interrupted run's`,
        );
    }
    return { ...state, fingerprint };
  }
}
