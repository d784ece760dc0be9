import * as tf from '@tensorflow/tfjs-core';
import { releaseTapeEarly } from './release-tape-early.js';
import {
  applyGradients,
  checkStepOptions,
  readStepSync,
  type StepResult,
  type StepTensors,
  type TrainStepOptions,
} from './train-step.js';

export interface ChunkedStepOptions extends TrainStepOptions {
  /** Inputs per forward/backward pass of the encoder. */
  chunkSize: number;
}

function chunksOf(n: number, size: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let start = 0; start < n; start += size) out.push([start, Math.min(size, n - start)]);
  return out;
}

/**
 * One optimiser step of a loss over the embeddings of several views, running the encoder on
 * `chunkSize` inputs at a time so that activation memory is one chunk's, whatever the batch
 * (gradient caching, Gao et al. 2021, "Scaling Deep Contrastive Learning Batch Size under Memory
 * Limited Setup"). A contrastive loss needs the whole batch at once, so:
 *
 * 1. every chunk is embedded without recording gradients;
 * 2. the loss and its gradient with respect to each embedding (and the loss's own variables, e.g.
 *    a learnable logit scale) are computed on the full batch;
 * 3. each chunk is embedded again under the tape and backpropagates its rows of that gradient;
 * 4. the summed gradients are applied as `trainStep` does (global norm, optional clipping).
 *
 * The update equals `trainStep`'s for encoders without batch statistics, at the cost of one more
 * forward pass; memory is one chunk's activations plus the `[N, D]` embeddings and their
 * gradients. With batch norm in `embed`, statistics are per chunk and the moving averages are
 * updated in both passes (keep such layers in `loss`, which sees the full batch, as
 * `@xclr/training`'s `fit` does with a projection head). It trains batches whose activations do
 * not fit the wasm backend's 4 GiB heap (ResNet-18 on CIFAR-size images: beyond two views of 256).
 *
 * @param embed the encoder: `[n, …]` inputs → `[n, D]` embeddings (training mode).
 * @param views the inputs of each view, `[N, …]` each, same N.
 * @param loss the loss of the views' `[N, D]` embeddings, in the order of `views`.
 */
export function chunkedEmbeddingStep(
  embed: (x: tf.Tensor) => tf.Tensor2D,
  views: tf.Tensor[],
  loss: (embeddings: tf.Tensor2D[]) => tf.Scalar,
  options: ChunkedStepOptions,
): StepResult {
  return readStepSync(chunkedEmbeddingStepTensors(embed, views, loss, options));
}

/** `chunkedEmbeddingStep` without reading back: the loss and norm as tensors (see `trainStepTensors`). */
export function chunkedEmbeddingStepTensors(
  embed: (x: tf.Tensor) => tf.Tensor2D,
  views: tf.Tensor[],
  loss: (embeddings: tf.Tensor2D[]) => tf.Scalar,
  options: ChunkedStepOptions,
): StepTensors {
  const fn = 'chunkedEmbeddingStep';
  checkStepOptions(fn, options);
  const { chunkSize, variables } = options;
  if (!Number.isInteger(chunkSize) || chunkSize < 1)
    throw new Error(`${fn}: chunkSize must be a positive integer, got ${chunkSize}`);
  if (views.length === 0) throw new Error(`${fn}: no views`);
  const n = views[0].shape[0];
  views.forEach((v, i) => {
    if (v.shape[0] !== n)
      throw new Error(`${fn}: views[${i}] has ${v.shape[0]} rows, views[0] has ${n}: every view needs the same N`);
  });
  const plan = chunksOf(n, chunkSize);
  return tf.tidy(() => {
    // 1. Embeddings of every chunk, as temporary variables so that step 2 differentiates with
    //    respect to them and to the loss's own variables in one call.
    const embeddings = views.map((v) => {
      const parts = plan.map(([start, size]) => tf.tidy(() => embed(tf.slice(v, start, size))));
      const all = tf.concat(parts);
      tf.dispose(parts);
      return tf.variable(all);
    });
    try {
      // 2. The loss on the full batch; its gradient with respect to each embedding row.
      const { value, grads } = tf.variableGrads(
        releaseTapeEarly(() => loss(embeddings as unknown as tf.Tensor2D[])),
        [...embeddings, ...variables],
      );
      const total = new Map<string, tf.Tensor>();
      for (const v of variables) if (grads[v.name]) total.set(v.name, grads[v.name]);
      // 3. Backpropagate each chunk's rows of those gradients through the encoder. Sums replace
      //    their terms at once, so memory holds one set of gradients, not one per chunk.
      views.forEach((view, i) => {
        const dz = grads[embeddings[i].name];
        if (dz == null) throw new Error(`${fn}: the loss does not depend on view ${i}`);
        for (const [start, size] of plan) {
          const { grads: chunk } = tf.variableGrads(
            releaseTapeEarly(() => tf.sum(tf.mul(embed(tf.slice(view, start, size)), tf.slice(dz, start, size)))),
            variables,
          );
          for (const [name, g] of Object.entries(chunk)) {
            if (g == null) continue;
            const before = total.get(name);
            if (before == null) total.set(name, g);
            else {
              total.set(name, tf.add(before, g));
              tf.dispose([before, g]);
            }
          }
        }
      });
      // 4. The update, with gradients in `variables` order as `trainStep` gives them: Adam keys
      //    its moments by position, so a run may switch between the two steps (e.g. on resume).
      const ordered: tf.NamedTensorMap = {};
      for (const v of variables) {
        const g = total.get(v.name);
        if (g != null) ordered[v.name] = g;
      }
      return applyGradients(value, ordered, options);
    } finally {
      tf.dispose(embeddings);
    }
  });
}
