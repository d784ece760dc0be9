import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { augmentBatch, NO_AUGMENT, Rng, sampleCropBoxes, simclrAugment } from '../src/index.js';

function ramp(n: number, h: number, w: number, c: number): tf.Tensor4D {
  // Pixel value grows left to right, so flips and crops are visible in the numbers.
  return tf.tidy(() => tf.tile(tf.reshape(tf.div(tf.range(0, w), w - 1), [1, 1, w, 1]), [n, h, 1, c]) as tf.Tensor4D);
}

describe('augmentations', () => {
  it('keep shape and range, and a seed gives the same views', () => {
    const x = tf.randomUniform([6, 28, 28, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
    const a = augmentBatch(x, simclrAugment(1), new Rng(7));
    const b = augmentBatch(x, simclrAugment(1), new Rng(7));
    const c = augmentBatch(x, simclrAugment(1), new Rng(8));
    expect(a.shape).toEqual([6, 28, 28, 1]);
    const v = a.dataSync();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    expect(Array.from(b.dataSync())).toEqual(Array.from(v));
    expect(Array.from(c.dataSync())).not.toEqual(Array.from(v));
  });

  it('flip with p = 1 mirrors every image exactly; p = 0 leaves it', () => {
    const x = ramp(3, 5, 7, 1);
    const flipped = augmentBatch(x, { ...NO_AUGMENT, flip: 1 }, new Rng(1));
    expect(flipped.arraySync()).toEqual(tf.reverse(x, 2).arraySync());
    expect(augmentBatch(x, { ...NO_AUGMENT, flip: 0 }, new Rng(1)).arraySync()).toEqual(x.arraySync());
  });

  it('crop boxes respect the scale and ratio ranges, and a crop of a ramp zooms in', () => {
    const rng = new Rng(5);
    const boxes = sampleCropBoxes(rng, 500, [0.3, 0.6], [0.75, 1.333]);
    for (let i = 0; i < 500; i++) {
      const [y1, x1, y2, x2] = boxes.subarray(4 * i, 4 * i + 4);
      const area = (y2 - y1) * (x2 - x1);
      const ratio = (x2 - x1) / (y2 - y1);
      expect(area).toBeGreaterThanOrEqual(0.3 - 1e-6);
      expect(area).toBeLessThanOrEqual(0.6 + 1e-6);
      expect(ratio).toBeGreaterThanOrEqual(0.75 - 1e-6);
      expect(ratio).toBeLessThanOrEqual(1.333 + 1e-6);
      expect(Math.min(y1, x1)).toBeGreaterThanOrEqual(0);
      expect(Math.max(y2, x2)).toBeLessThanOrEqual(1 + 1e-6);
    }
    const x = ramp(4, 16, 16, 1);
    const cropped = augmentBatch(x, { ...NO_AUGMENT, crop: { scale: [0.25, 0.25], ratio: [1, 1] } }, new Rng(2));
    const rows = cropped.arraySync() as number[][][][];
    for (const img of rows) {
      const row = img[8].map((p) => p[0]);
      // A zoomed half-width window of a 0→1 ramp spans about 0.5, still increasing.
      expect(row[15] - row[0]).toBeGreaterThan(0.4);
      expect(row[15] - row[0]).toBeLessThan(0.6);
      for (let k = 1; k < 16; k++) expect(row[k]).toBeGreaterThanOrEqual(row[k - 1] - 1e-6);
    }
  });

  it('colour jitter on RGB changes pixels, greyscale equalises channels, solarise inverts bright pixels', () => {
    const x = tf.randomUniform([4, 8, 8, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
    const jittered = augmentBatch(x, { ...NO_AUGMENT, colorJitter: { p: 1, brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 } }, new Rng(3));
    expect(tf.max(tf.abs(tf.sub(jittered, x))).dataSync()[0]).toBeGreaterThan(0.01);
    const grey = augmentBatch(x, { ...NO_AUGMENT, grayscale: 1 }, new Rng(3)).arraySync() as number[][][][];
    for (const px of grey.flat(2)) {
      expect(px[0]).toBeCloseTo(px[1], 5);
      expect(px[1]).toBeCloseTo(px[2], 5);
    }
    const sol = augmentBatch(tf.fill([1, 2, 2, 1], 0.9) as tf.Tensor4D, { ...NO_AUGMENT, solarize: { p: 1, threshold: 0.5 } }, new Rng(1));
    for (const v of sol.dataSync()) expect(v).toBeCloseTo(0.1, 6);
  });

  it('Gaussian blur keeps the mean of a constant image and smooths an impulse', () => {
    const impulse = tf.tidy(() => tf.pad(tf.ones([1, 1, 1, 1]), [[0, 0], [4, 4], [4, 4], [0, 0]]) as tf.Tensor4D);
    const blurred = augmentBatch(impulse, { ...NO_AUGMENT, blur: { p: 1, sigma: [1, 1], kernelSize: 5 } }, new Rng(1));
    const v = blurred.arraySync() as number[][][][];
    expect(v[0][4][4][0]).toBeLessThan(0.2);
    expect(v[0][4][5][0]).toBeGreaterThan(0.05);
    expect(tf.sum(blurred).dataSync()[0]).toBeCloseTo(1, 4);
  });

  it('rejects images that are not greyscale or RGB', () => {
    expect(() => augmentBatch(tf.zeros([1, 4, 4, 2]) as tf.Tensor4D, NO_AUGMENT, new Rng(1))).toThrow(
      'augmentBatch: images must have 1 or 3 channels, got shape [1, 4, 4, 2]',
    );
  });
});
