import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ContrastiveModel } from '@xclr/models';
import type { TrainingBatch } from '../batch.js';

/** A memory queue for the `xclr`, `ntxent` and `supcon` objectives. */
export interface QueueOptions {
  /** Entries Q: the last Q embeddings of earlier batches join every anchor's candidates. 0: no queue. */
  size: number;
  /**
   * MoCo v2's momentum m in [0, 1): entries are embeddings of view B by a momentum encoder, a copy
   * of the model updated as θ_k ← m θ_k + (1 − m) θ after each step (MoCo uses 0.999). Without it
   * the entries are the model's own view-B projections, detached (a plain queue, as XBM).
   */
  momentum?: number;
}

/** The batch field a queue entry keeps to find its targets later: a sample index or a class label. */
export type QueueKey = 'indices' | 'labels';

/** State besides `variables` that an exact resume needs, as saved in a checkpoint. */
export interface ObjectiveState {
  /** Named tensors (stored in the checkpoint's `tensors.bin`). */
  tensors: Record<string, tf.Tensor>;
  /** JSON values (stored in the manifest's `state.objective`). */
  values: Record<string, unknown>;
}

/** What the loss of a batch sees of the queue: the filled entries and their keys. */
export interface QueueEntries {
  /** `[filled, D]` embeddings, constants. */
  embeddings: tf.Tensor2D;
  /** The key of each entry (empty without a key field). */
  keys: Int32Array;
}

interface SavedQueue {
  size: number;
  momentum: number | null;
  key: QueueKey | null;
  dim: number | null;
  filled: number;
  position: number;
  momentumEncoder: boolean;
}

function layersOf(model: ContrastiveModel): tfl.LayersModel[] {
  return model.head ? [model.encoder, model.head] : [model.encoder];
}

/** The objective members a queue adds: `commit` after each step, its state in checkpoints. */
export function queueMembers(queue: MemoryQueue | null) {
  if (queue === null) return {};
  return {
    afterStep: () => queue.commit(),
    saveState: () => queue.saveState(),
    loadState: (state: ObjectiveState) => queue.loadState(state),
  };
}

/** Checks the option and returns the queue, or null for no queue (absent or size 0). */
export function createQueue(
  objective: string,
  options: QueueOptions | undefined,
  model: ContrastiveModel,
  key: QueueKey | null,
  seed?: number,
): MemoryQueue | null {
  if (options == null || options.size === 0) return null;
  const { size, momentum } = options;
  if (!Number.isInteger(size) || size < 0)
    throw new Error(`objective ${objective}: queue.size must be an integer ≥ 0, got ${size}`);
  if (momentum !== undefined && !(Number.isFinite(momentum) && momentum >= 0 && momentum < 1))
    throw new Error(`objective ${objective}: queue.momentum must be a number in [0, 1), got ${momentum}`);
  return new MemoryQueue(objective, size, momentum ?? null, model, key, seed);
}

/**
 * A FIFO of the last `size` embeddings of view B (or of a momentum encoder's), with each entry's
 * key, kept outside the gradient tape. The loss reads `current()`; `stage(batch, zB)` marks the
 * batch's entries and `commit()`, after the optimiser step, writes them over the oldest ones and
 * updates the momentum encoder. The entries sit in a ring of `size` rows: the loss is a sum over
 * candidates, so their order does not matter, and a checkpoint stores the ring as it is.
 */
export class MemoryQueue {
  private ring: tf.Tensor2D | null = null;
  private readonly keys: Int32Array;
  private filled = 0;
  private position = 0;
  /** The batch's source of entries until `commit`: a detached copy of zB, or of view B for the momentum encoder. */
  private pending: { source: tf.Tensor; keys: Int32Array | null } | null = null;
  private readonly encoder: ContrastiveModel | null;
  private encoderReady = false;

  constructor(
    private readonly objective: string,
    readonly size: number,
    readonly momentum: number | null,
    private readonly model: ContrastiveModel,
    readonly key: QueueKey | null,
    seed?: number,
  ) {
    this.keys = new Int32Array(size);
    this.encoder = momentum === null ? null : new ContrastiveModel(model.config, seed);
  }

  /** The entries so far, or null while the queue is empty. */
  current(): QueueEntries | null {
    if (this.ring === null || this.filled === 0) return null;
    const embeddings =
      this.filled === this.size ? this.ring : (tf.slice(this.ring, [0, 0], [this.filled, this.ring.shape[1]]) as tf.Tensor2D);
    return { embeddings, keys: this.keys.slice(0, this.filled) };
  }

  /** The batch's keys (an error naming the field when the batch lacks it). */
  keysOf(batch: TrainingBatch): Int32Array {
    if (this.key === null) return new Int32Array(0);
    const keys = batch[this.key];
    if (keys == null)
      throw new Error(`objective ${this.objective}: a queue needs batch.${this.key} (its entries' keys); this batch has none`);
    return Int32Array.from(keys);
  }

  /**
   * The entries this batch's loss sees (null while empty), staging the batch's own for `commit`:
   * call it once per loss, inside the step's tape.
   */
  forBatch(batch: TrainingBatch, zB: tf.Tensor2D): QueueEntries | null {
    const entries = this.current();
    this.stage(batch, zB);
    return entries;
  }

  /** Marks this batch's entries (called by the loss, inside the step's tape): nothing changes before `commit`. */
  stage(batch: TrainingBatch, zB: tf.Tensor2D): void {
    // MoCo initialises the key encoder as a copy of the model: done at the first step, after any
    // weights were loaded into the model, unless a checkpoint restored the encoder.
    if (this.encoder && !this.encoderReady) {
      for (const [to, from] of layersOf(this.encoder).map((l, i) => [l, layersOf(this.model)[i]] as const)) {
        to.setWeights(from.getWeights());
      }
      this.encoderReady = true;
    }
    const keys = this.key === null ? null : this.keysOf(batch);
    const source = this.encoder ? (batch.views[1] as tf.Tensor) : zB;
    this.pending?.source.dispose();
    // A clone shares the data: no copy, and it outlives the step's tidy and the batch.
    this.pending = { source: tf.keep(tf.clone(source)), keys };
  }

  /** After the optimiser step: the staged entries replace the oldest, and the momentum encoder moves. */
  commit(): void {
    const pending = this.pending;
    if (pending === null) return;
    this.pending = null;
    try {
      const entries = this.encoder
        ? tf.tidy(() => (this.encoder as ContrastiveModel).project(pending.source as tf.Tensor4D, true))
        : (pending.source as tf.Tensor2D);
      this.write(entries, pending.keys);
      if (entries !== pending.source) entries.dispose();
    } finally {
      pending.source.dispose();
    }
    if (this.encoder && this.momentum !== null) {
      const m = this.momentum;
      const online = this.model.trainableWeights;
      tf.tidy(() => {
        this.encoder?.trainableWeights.forEach((k, i) => {
          k.assign(tf.add(tf.mul(k, m), tf.mul(online[i], 1 - m)));
        });
      });
    }
  }

  private write(entries: tf.Tensor2D, keys: Int32Array | null): void {
    const [n, dim] = entries.shape;
    if (this.ring !== null && this.ring.shape[1] !== dim)
      throw new Error(
        `objective ${this.objective}: queue entries have ${this.ring.shape[1]} dimensions, this batch's have ${dim}`,
      );
    // Row j of the new ring is row from[j] of [ring; entries]: written rows come from the batch,
    // later rows of a batch larger than the queue overwriting earlier ones, as sequential writes would.
    const from = Int32Array.from({ length: this.size }, (_, j) => j);
    for (let r = 0; r < n; r++) {
      const slot = (this.position + r) % this.size;
      from[slot] = this.size + r;
      if (keys) this.keys[slot] = keys[r];
    }
    const old = this.ring;
    this.ring = tf.tidy(() =>
      tf.gather(tf.concat([old ?? tf.zeros([this.size, dim]), entries]), tf.tensor1d(from, 'int32')),
    ) as tf.Tensor2D;
    old?.dispose();
    this.position = (this.position + n) % this.size;
    this.filled = Math.min(this.size, this.filled + n);
  }

  /** The ring, keys, fill, write position and momentum encoder, as new tensors the caller disposes. */
  saveState(): ObjectiveState {
    const tensors: Record<string, tf.Tensor> = {};
    if (this.ring) {
      tensors['queue/embeddings'] = tf.clone(this.ring);
      if (this.key) tensors['queue/keys'] = tf.tensor1d(this.keys, 'int32');
    }
    if (this.encoder && this.encoderReady) {
      const weights = layersOf(this.encoder).flatMap((l) => l.getWeights());
      weights.forEach((w, i) => {
        tensors[`queue/momentum/${i}`] = tf.clone(w);
      });
    }
    const queue: SavedQueue = {
      size: this.size,
      momentum: this.momentum,
      key: this.key,
      dim: this.ring?.shape[1] ?? null,
      filled: this.filled,
      position: this.position,
      momentumEncoder: this.encoderReady,
    };
    return { tensors, values: { queue } };
  }

  /** Restores what `saveState` gave (the tensors stay the caller's); refuses another queue's state. */
  loadState(state: ObjectiveState): void {
    const saved = state.values.queue as SavedQueue | undefined;
    const fail = (why: string): never => {
      throw new Error(`objective ${this.objective}: cannot resume the memory queue exactly: ${why}`);
    };
    if (saved == null) fail('the checkpoint holds none (it was saved without a queue)');
    const s = saved as SavedQueue;
    for (const [name, was, now] of [
      ['size', s.size, this.size],
      ['momentum', s.momentum, this.momentum],
      ['key', s.key, this.key],
    ] as const) {
      if (was !== now) fail(`its ${name} was ${JSON.stringify(was)}, now ${JSON.stringify(now)}`);
    }
    const ring = state.tensors['queue/embeddings'];
    if (s.filled > 0 && (ring == null || ring.shape.join() !== [this.size, s.dim].join()))
      fail(`the checkpoint lacks its [${this.size}, ${s.dim}] entries`);
    const keys = state.tensors['queue/keys'];
    if (s.filled > 0 && this.key && keys?.size !== this.size) fail(`the checkpoint lacks its ${this.size} keys`);
    this.ring?.dispose();
    this.ring = s.filled > 0 ? (tf.clone(ring) as tf.Tensor2D) : null;
    this.keys.fill(0);
    if (s.filled > 0 && this.key) this.keys.set(keys.dataSync() as Int32Array);
    this.filled = s.filled;
    this.position = s.position;
    this.pending?.source.dispose();
    this.pending = null;
    this.encoderReady = false;
    if (this.encoder && s.momentumEncoder) {
      const layers = layersOf(this.encoder);
      let i = 0;
      for (const layer of layers) {
        const count = layer.weights.length;
        const weights = Array.from({ length: count }, (_, k) => state.tensors[`queue/momentum/${i + k}`]);
        if (weights.some((w) => w == null)) fail('the checkpoint lacks its momentum encoder');
        layer.setWeights(weights);
        i += count;
      }
      this.encoderReady = true;
    }
  }

  dispose(): void {
    this.ring?.dispose();
    this.ring = null;
    this.pending?.source.dispose();
    this.pending = null;
    this.encoder?.dispose();
  }
}
