import * as tf from '@tensorflow/tfjs-core';
import { type AugmentConfig, augmentBatch } from './augment.js';
import type { ImageDataset } from './dataset.js';
import { checkNeighbors, drawNeighbors, type NeighborBatches } from './neighbors.js';
import { Rng } from './rng.js';

export interface LoaderOptions {
  batchSize: number;
  seed: number;
  /** Augmentation for each view. */
  augment: AugmentConfig;
  /** Number of augmented views per sample (default 2). */
  views?: number;
  /** Train on these dataset indices only (e.g. a class-balanced subset). Default: all. */
  indices?: Int32Array;
  /** Output image size (default: the dataset's). */
  size?: [number, number];
  /** Drop the last incomplete batch of an epoch (default true: contrastive batches need a fixed N). */
  dropLast?: boolean;
  /**
   * Batches built ahead of the one being consumed (default 1; 0 turns prefetch off). A prefetched
   * batch is built in a macrotask, so it overlaps whatever the training step awaits (a GPU or
   * tfjs-node queue, file I/O); on the synchronous wasm and cpu backends it costs nothing extra.
   */
  prefetch?: number;
  /**
   * Neighbour-aware batches: each batch holds `batchSize − count` anchors in the epoch's order,
   * then `count` neighbours of theirs from `graph` (one row per dataset sample: `dataset.size`
   * rows), drawn from (seed, epoch, step), so an epoch has ⌊samples / (batchSize − count)⌋ steps,
   * more than without. With `indices`, only those samples are anchors or neighbours. See
   * `NeighborBatches` for how the neighbours are drawn.
   */
  neighbors?: NeighborBatches;
}

export interface Batch {
  epoch: number;
  /** Step within the epoch. */
  step: number;
  /** Dataset indices of the N samples (what per-batch similarity graphs are built from). */
  indices: Int32Array;
  /** With the `neighbors` option: the first `anchors` samples are the epoch's, the rest their neighbours. */
  anchors?: number;
  /** Labels of the samples, when the dataset has labels. */
  labels?: Int32Array;
  /** Captions of the samples, when the dataset has captions. */
  captions?: string[];
  /** The un-augmented images, float32 [N, H, W, C] in [0, 1]. */
  images: tf.Tensor4D;
  /** One augmented float32 [N, H, W, C] batch per view. */
  views: tf.Tensor4D[];
}

/**
 * Seeded two-view batches for contrastive training. Epoch e's order is a permutation drawn from
 * (seed, e), and step s's augmentations (and neighbours, with `neighbors`) from (seed, e, s): any
 * batch can be recreated from its epoch and step alone, which is what makes a resumed run equal
 * an uninterrupted one.
 */
export class ContrastiveLoader {
  readonly indices: Int32Array;
  readonly batchSize: number;
  /** Samples per batch taken in the epoch's order: `batchSize`, less `neighbors.count`. */
  readonly anchorsPerBatch: number;
  /** Which dataset samples are in `indices`, when `neighbors` is set and `indices` given. */
  private readonly member: Uint8Array | null = null;

  constructor(
    readonly dataset: ImageDataset,
    readonly options: LoaderOptions,
  ) {
    this.indices = options.indices ?? Int32Array.from({ length: dataset.size }, (_, i) => i);
    this.batchSize = options.batchSize;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 2) {
      throw new Error(`ContrastiveLoader: batchSize must be an integer ≥ 2, got ${this.batchSize}`);
    }
    if (this.indices.length < this.batchSize && (options.dropLast ?? true)) {
      throw new Error(`ContrastiveLoader: ${dataset.name} has ${this.indices.length} samples, fewer than one batch of ${this.batchSize}`);
    }
    this.anchorsPerBatch = this.batchSize;
    if (options.neighbors) {
      checkNeighbors('ContrastiveLoader', options.neighbors, this.batchSize, dataset.size);
      this.anchorsPerBatch -= options.neighbors.count;
      if (options.indices) {
        this.member = new Uint8Array(dataset.size);
        for (const i of this.indices) this.member[i] = 1;
      }
    }
  }

  /** Batches per epoch: each takes `anchorsPerBatch` samples of the epoch's order. */
  get stepsPerEpoch(): number {
    const n = this.indices.length / this.anchorsPerBatch;
    return (this.options.dropLast ?? true) ? Math.floor(n) : Math.ceil(n);
  }

  /** The sample order of an epoch (with `neighbors`: of its anchors). */
  order(epoch: number): Int32Array {
    return new Rng(this.options.seed, 0xe90c, epoch).shuffle(Int32Array.from(this.indices));
  }

  /** Builds batch `step` of `epoch`; the caller disposes its tensors (`disposeBatch`). */
  batch(epoch: number, step: number, order = this.order(epoch)): Batch {
    const start = step * this.anchorsPerBatch;
    const anchors = order.slice(start, Math.min(start + this.anchorsPerBatch, order.length));
    const indices = this.withNeighbors(anchors, epoch, step);
    const { height: h, width: w, channels: c } = this.dataset;
    const pixelsPerImage = h * w * c;
    const host = new Float32Array(indices.length * pixelsPerImage);
    for (let k = 0; k < indices.length; k++) {
      const src = this.dataset.pixels.subarray(indices[k] * pixelsPerImage, (indices[k] + 1) * pixelsPerImage);
      for (let p = 0; p < pixelsPerImage; p++) host[k * pixelsPerImage + p] = src[p] / 255;
    }
    const images = tf.tensor4d(host, [indices.length, h, w, c]);
    const rng = new Rng(this.options.seed, 0xa09, epoch, step);
    const views = Array.from({ length: this.options.views ?? 2 }, () => augmentBatch(images, this.options.augment, rng, this.options.size));
    return {
      epoch,
      step,
      indices,
      ...(this.options.neighbors && { anchors: anchors.length }),
      labels: this.dataset.labels ? Int32Array.from(indices, (i) => this.dataset.labels![i]) : undefined,
      captions: this.dataset.captions ? Array.from(indices, (i) => this.dataset.captions![i]) : undefined,
      images,
      views,
    };
  }

  /** A batch's anchors followed by their neighbours (the anchors alone without `neighbors`). */
  private withNeighbors(anchors: Int32Array, epoch: number, step: number): Int32Array {
    const neighbors = this.options.neighbors;
    if (!neighbors?.count) return anchors;
    const rng = new Rng(this.options.seed, 0x9e1b, epoch, step);
    const drawn = drawNeighbors(anchors, neighbors.count, neighbors.graph, this.indices, this.member, rng);
    const indices = new Int32Array(anchors.length + drawn.length);
    indices.set(anchors);
    indices.set(drawn, anchors.length);
    return indices;
  }

  /**
   * The batches of an epoch from `fromStep` on, `prefetch` of them built ahead. The caller
   * disposes each batch it receives; batches built ahead of an early `break` are disposed here.
   */
  async *epoch(epoch: number, fromStep = 0): AsyncGenerator<Batch> {
    const order = this.order(epoch);
    const ahead = this.options.prefetch ?? 1;
    if (!Number.isInteger(ahead) || ahead < 0) throw new Error(`ContrastiveLoader: prefetch must be an integer ≥ 0, got ${ahead}`);
    const queue: Promise<Batch>[] = [];
    let next = fromStep;
    const schedule = (limit: number) => {
      while (queue.length < limit && next < this.stepsPerEpoch) {
        const step = next++;
        queue.push(
          new Promise<Batch>((resolve, reject) =>
            setImmediate(() => {
              try {
                resolve(this.batch(epoch, step, order));
              } catch (err) {
                reject(err);
              }
            }),
          ),
        );
      }
    };
    try {
      schedule(1);
      while (queue.length) {
        const batch = await (queue.shift() as Promise<Batch>);
        schedule(ahead); // built while the consumer works on `batch` and awaits
        yield batch;
        schedule(1);
      }
    } finally {
      for (const pending of queue.splice(0)) disposeBatch(await pending);
    }
  }
}

export function disposeBatch(batch: Batch): void {
  tf.dispose([batch.images, ...batch.views]);
}
