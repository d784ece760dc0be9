import * as tf from '@tensorflow/tfjs-core';
import { fail } from './checks.js';
import { type ClipLossOptions, clipLoss } from './clip.js';
import { l2Normalize } from './normalize.js';
import { type NtXentLossOptions, ntXentLoss } from './nt-xent.js';
import { type SupConLossOptions, supConLoss } from './supcon.js';
import { type XclrLossOptions, xclrLoss } from './xclr.js';

/** The `(yTrue, yPred) => loss` signature `model.compile({ loss })` of tfjs Layers takes. */
export type LayersLoss = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar;

/** Splits a Layers model output `[N, 2D]` that concatenates two views along the features axis. */
export function splitViews(fn: string, yPred: tf.Tensor): [tf.Tensor2D, tf.Tensor2D] {
  if (yPred.rank !== 2 || (yPred.shape as number[])[1] % 2 !== 0) {
    fail(fn, `the model output must be [N, 2D], both views concatenated along axis 1; got [${yPred.shape.join(', ')}]`);
  }
  const [a, b] = tf.split(yPred as tf.Tensor2D, 2, 1);
  return [a as tf.Tensor2D, b as tf.Tensor2D];
}

/**
 * tfjs Layers requires `fit`'s targets to have the model output's shape `[N, 2D]`. This packs
 * what a loss reads into that shape: `[N]` labels into column 0, or `[N, E]` text embeddings
 * zero-padded to `2D` columns (padding leaves their cosine similarities unchanged).
 */
export function layersTargets(values: tf.Tensor, outputWidth: number): tf.Tensor2D {
  const fn = 'layersTargets';
  if (!Number.isInteger(outputWidth) || outputWidth < 1) fail(fn, `outputWidth must be a positive integer, got ${outputWidth}`);
  return tf.tidy(() => {
    const rows = values.rank === 1 ? tf.expandDims(tf.cast(values, 'float32'), 1) : values;
    if (rows.rank !== 2) fail(fn, `values must be [N] labels or [N, E] embeddings, got [${values.shape.join(', ')}]`);
    const width = (rows.shape as number[])[1];
    if (width > outputWidth) {
      fail(fn, `[N, ${width}] values do not fit a [N, ${outputWidth}] model output; use xclrLoss in a custom training loop instead`);
    }
    return tf.pad(tf.cast(rows, 'float32') as tf.Tensor2D, [
      [0, 0],
      [0, outputWidth - width],
    ]);
  });
}

/** NT-Xent for a model whose output is `concat([zA, zB], 1)`; `yTrue` is ignored. */
export function ntXentLayersLoss(options: NtXentLossOptions = {}): LayersLoss {
  return (_yTrue, yPred) => tf.tidy(() => ntXentLoss(...splitViews('ntXentLayersLoss', yPred), options));
}

/** SupCon for a model whose output is `concat([zA, zB], 1)`; `yTrue` holds the labels in column 0 (see `layersTargets`). */
export function supConLayersLoss(options: SupConLossOptions = {}): LayersLoss {
  return (yTrue, yPred) =>
    tf.tidy(() => {
      const [zA, zB] = splitViews('supConLayersLoss', yPred);
      const labels = yTrue.rank === 2 ? tf.squeeze(tf.slice(yTrue, [0, 0], [-1, 1]), [1]) : yTrue;
      return supConLoss(zA, zB, tf.cast(labels, 'int32') as tf.Tensor1D, options);
    });
}

/**
 * X-CLR for a model whose output is `concat([zA, zB], 1)`; `yTrue` holds each sample's caption or
 * class-description embedding (zero-padded to the output width by `layersTargets`), and the
 * batch's similarity graph is their cosine similarity matrix, so a shuffled `model.fit` batch
 * always gets its own graph.
 */
export function xclrLayersLoss(options: XclrLossOptions = {}): LayersLoss {
  return (yTrue, yPred) =>
    tf.tidy(() => {
      const [zA, zB] = splitViews('xclrLayersLoss', yPred);
      if (yTrue.rank !== 2 || yTrue.shape[0] !== zA.shape[0]) {
        fail('xclrLayersLoss', `yTrue must hold [N, E] text embeddings for the N samples, got [${yTrue.shape.join(', ')}]`);
      }
      const text = l2Normalize(yTrue as tf.Tensor2D);
      return xclrLoss(zA, zB, tf.matMul(text, text, false, true), options);
    });
}

/** CLIP for a model whose output is `concat([imageEmb, textEmb], 1)`; `yTrue` is ignored. */
export function clipLayersLoss(options: ClipLossOptions = {}): LayersLoss {
  return (_yTrue, yPred) => tf.tidy(() => clipLoss(...splitViews('clipLayersLoss', yPred), options));
}
