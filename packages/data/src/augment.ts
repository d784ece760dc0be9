import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from './rng.js';

/**
 * Contrastive view augmentations as batched tfjs ops. Every random choice is drawn on the host from
 * a seeded `Rng` and passed in as tensors, so a seed gives the same views on every backend.
 * Inputs and outputs are float32 NHWC batches in [0, 1].
 */
export interface AugmentConfig {
  /** Random resized crop (torchvision's RandomResizedCrop): area fraction and aspect-ratio ranges. */
  crop?: { scale: [number, number]; ratio: [number, number] } | false;
  /** Probability of a horizontal flip. */
  flip?: number;
  /** Colour jitter applied with probability `p`; each strength as in torchvision's ColorJitter. */
  colorJitter?: { p: number; brightness: number; contrast: number; saturation: number; hue: number } | false;
  /** Probability of converting to greyscale (RGB only). */
  grayscale?: number;
  /** Gaussian blur with probability `p`, sigma drawn uniformly from the range. */
  blur?: { p: number; sigma: [number, number]; kernelSize: number } | false;
  /** Solarisation (x ≥ threshold → 1 − x) with probability `p`. */
  solarize?: { p: number; threshold: number } | false;
}

/**
 * SimCLR's recipe (Chen et al., 2020, appendix A), scaled for small images: random resized crop,
 * flip, colour jitter at strength 0.5 with p = 0.8, greyscale with p = 0.2; no blur, which the
 * paper also drops for 32×32 CIFAR-10. On greyscale 28×28 inputs the crop keeps at least 35% of the
 * area and only brightness and contrast jitter apply.
 */
export function simclrAugment(channels: number): AugmentConfig {
  const rgb = channels === 3;
  return {
    crop: { scale: [rgb ? 0.2 : 0.35, 1], ratio: [3 / 4, 4 / 3] },
    flip: 0.5,
    colorJitter: { p: 0.8, brightness: 0.4, contrast: 0.4, saturation: rgb ? 0.4 : 0, hue: rgb ? 0.1 : 0 },
    grayscale: rgb ? 0.2 : 0,
    blur: false,
    solarize: false,
  };
}

/** No augmentation: views equal the inputs (for evaluation and supervised baselines). */
export const NO_AUGMENT: AugmentConfig = { crop: false, flip: 0, colorJitter: false, grayscale: 0, blur: false, solarize: false };

/** Random resized crop boxes `[y1, x1, y2, x2]` in normalised coordinates, torchvision's sampling. */
export function sampleCropBoxes(rng: Rng, n: number, scale: [number, number], ratio: [number, number]): Float32Array {
  const boxes = new Float32Array(n * 4);
  const [lr0, lr1] = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let i = 0; i < n; i++) {
    let h = 1;
    let w = 1;
    for (let attempt = 0; attempt < 10; attempt++) {
      const area = rng.uniform(scale[0], scale[1]);
      const r = Math.exp(rng.uniform(lr0, lr1));
      const cw = Math.sqrt(area * r);
      const ch = Math.sqrt(area / r);
      if (cw <= 1 && ch <= 1) {
        w = cw;
        h = ch;
        break;
      }
    }
    const y = rng.uniform(0, 1 - h);
    const x = rng.uniform(0, 1 - w);
    boxes.set([y, x, y + h, x + w], 4 * i);
  }
  return boxes;
}

function perImage(n: number, f: () => number): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from({ length: n }, f), [n, 1, 1, 1]);
}

function luminance(x: tf.Tensor4D): tf.Tensor4D {
  if (x.shape[3] === 1) return x;
  // ITU-R 601-2 luma, as PIL's convert('L') and torchvision's rgb_to_grayscale.
  return tf.sum(tf.mul(x, tf.tensor1d([0.299, 0.587, 0.114])), 3, true) as tf.Tensor4D;
}

function blend(a: tf.Tensor4D, b: tf.Tensor4D, factor: tf.Tensor4D): tf.Tensor4D {
  // factor·a + (1 − factor)·b, clipped: torchvision's _blend.
  return tf.clipByValue(tf.add(tf.mul(a, factor), tf.mul(b, tf.sub(1, factor))), 0, 1) as tf.Tensor4D;
}

/** Product of two row-major 3×3 matrices. */
function matmul3(a: number[], b: number[]): number[] {
  const out = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) out[3 * r + c] += a[3 * r + k] * b[3 * k + c];
  return out;
}

/** Hue rotation by `turns` of a full circle per image, in YIQ space (a linear map per image). */
function rotateHue(x: tf.Tensor4D, turns: Float32Array): tf.Tensor4D {
  const [n, h, w] = x.shape;
  const toYiq = [0.299, 0.587, 0.114, 0.596, -0.274, -0.322, 0.211, -0.523, 0.312];
  const fromYiq = [1, 0.956, 0.621, 1, -0.272, -0.647, 1, -1.106, 1.703];
  const mats = new Float32Array(n * 9);
  for (let i = 0; i < n; i++) {
    const t = 2 * Math.PI * turns[i];
    const rot = [1, 0, 0, 0, Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t)];
    mats.set(matmul3(fromYiq, matmul3(rot, toYiq)), 9 * i);
  }
  // Pixels as rows [n, h·w, 3] times each image's matrix transposed.
  const m = tf.tensor3d(mats, [n, 3, 3]);
  const rows = tf.matMul(tf.reshape(x, [n, h * w, 3]), m, false, true);
  return tf.clipByValue(tf.reshape(rows, x.shape), 0, 1) as tf.Tensor4D;
}

function gaussianKernels(sigmas: Float32Array, size: number, channels: number): Float32Array {
  // [size, B·C] taps for a depthwise convolution over images stacked along channels.
  const n = sigmas.length;
  const taps = new Float32Array(size * n * channels);
  const half = (size - 1) / 2;
  for (let i = 0; i < n; i++) {
    const s = sigmas[i];
    const k = Array.from({ length: size }, (_, t) => (s > 0 ? Math.exp(-((t - half) ** 2) / (2 * s * s)) : t === half ? 1 : 0));
    const total = k.reduce((a, b) => a + b, 0);
    for (let t = 0; t < size; t++) for (let c = 0; c < channels; c++) taps[t * n * channels + i * channels + c] = k[t] / total;
  }
  return taps;
}

/** Separable Gaussian blur with one sigma per image (0 = unchanged). */
function blurImages(x: tf.Tensor4D, sigmas: Float32Array, size: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const taps = gaussianKernels(sigmas, size, c);
  // Images side by side as channels of one image, so a depthwise filter can differ per image.
  const stacked = tf.reshape(tf.transpose(x, [1, 2, 0, 3]), [1, h, w, n * c]) as tf.Tensor4D;
  const vertical = tf.depthwiseConv2d(stacked, tf.tensor4d(taps, [size, 1, n * c, 1]), 1, 'same');
  const both = tf.depthwiseConv2d(vertical, tf.tensor4d(taps, [1, size, n * c, 1]), 1, 'same');
  return tf.transpose(tf.reshape(both, [h, w, n, c]), [2, 0, 1, 3]) as tf.Tensor4D;
}

/**
 * One augmented view of each image in the batch. `outSize` defaults to the input size (the crop
 * is resized back to it).
 */
export function augmentBatch(images: tf.Tensor4D, config: AugmentConfig, rng: Rng, outSize?: [number, number]): tf.Tensor4D {
  const [n, h, w, c] = images.shape;
  if (c !== 1 && c !== 3) throw new Error(`augmentBatch: images must have 1 or 3 channels, got shape [${images.shape.join(', ')}]`);
  const size = outSize ?? [h, w];
  return tf.tidy(() => {
    let x = images;
    if (config.crop) {
      const boxes = sampleCropBoxes(rng, n, config.crop.scale, config.crop.ratio);
      x = tf.image.cropAndResize(x, tf.tensor2d(boxes, [n, 4]), tf.range(0, n, 1, 'int32'), size, 'bilinear');
    } else if (size[0] !== h || size[1] !== w) {
      x = tf.image.resizeBilinear(x, size);
    }
    if (config.flip) {
      const flips = perImage(n, () => (rng.bernoulli(config.flip as number) ? 1 : 0));
      x = tf.where(tf.cast(tf.broadcastTo(flips, x.shape), 'bool'), tf.reverse(x, 2), x);
    }
    if (config.colorJitter) {
      const j = config.colorJitter;
      const on = Array.from({ length: n }, () => rng.bernoulli(j.p));
      const factor = (strength: number) =>
        tf.tensor4d(
          Float32Array.from(on, (o) => (o ? rng.uniform(Math.max(0, 1 - strength), 1 + strength) : 1)),
          [n, 1, 1, 1],
        );
      if (j.brightness > 0) x = blend(x, tf.zerosLike(x), factor(j.brightness));
      if (j.contrast > 0) x = blend(x, tf.mean(luminance(x), [1, 2, 3], true) as tf.Tensor4D, factor(j.contrast));
      if (c === 3 && j.saturation > 0) x = blend(x, luminance(x), factor(j.saturation));
      if (c === 3 && j.hue > 0) x = rotateHue(x, Float32Array.from(on, (o) => (o ? rng.uniform(-j.hue, j.hue) : 0)));
    }
    if (c === 3 && config.grayscale) {
      const gray = perImage(n, () => (rng.bernoulli(config.grayscale as number) ? 1 : 0));
      x = blend(tf.broadcastTo(luminance(x), x.shape) as tf.Tensor4D, x, gray);
    }
    if (config.blur) {
      const b = config.blur;
      const sigmas = Float32Array.from({ length: n }, () => (rng.bernoulli(b.p) ? rng.uniform(b.sigma[0], b.sigma[1]) : 0));
      if (sigmas.some((s) => s > 0)) x = blurImages(x, sigmas, b.kernelSize);
    }
    if (config.solarize) {
      const s = config.solarize;
      const on = perImage(n, () => (rng.bernoulli(s.p) ? 1 : 0));
      const flip = tf.logicalAnd(tf.cast(tf.broadcastTo(on, x.shape), 'bool'), tf.greaterEqual(x, s.threshold));
      x = tf.where(flip, tf.sub(1, x), x) as tf.Tensor4D;
    }
    return x;
  });
}
