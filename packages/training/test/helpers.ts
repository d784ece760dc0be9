import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ContrastiveModel } from '@xclr/models';
import type { EpochSource, TrainingBatch } from '../src/index.js';

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export const tinyModel = (seed = 1) =>
  new ContrastiveModel({ encoder: { type: 'mlp', inputShape: [4, 4, 1], hidden: [16] }, head: { hidden: 8, output: 4 } }, seed);

/**
 * A deterministic source of 8-sample batches: batch (epoch, step) is drawn from a seed made of
 * both, so any position can be recreated, as ContrastiveLoader's batches are.
 */
export function seededSource(stepsPerEpoch = 4, n = 8): EpochSource<TrainingBatch> & { served: string[] } {
  const served: string[] = [];
  return {
    stepsPerEpoch,
    served,
    *epoch(epoch: number, fromStep: number) {
      for (let step = fromStep; step < stepsPerEpoch; step++) {
        served.push(`${epoch}:${step}`);
        const seed = 1000 * epoch + step + 1; // tfjs draws a random seed for 0
        const views = tf.tidy(() => {
          const base = tf.randomNormal([n, 4, 4, 1], 0, 1, 'float32', seed);
          return [1, 2].map((k) => tf.add(base, tf.randomNormal([n, 4, 4, 1], 0, 0.1, 'float32', seed + k)));
        });
        const labels = Int32Array.from({ length: n }, (_, i) => (i + step) % 3);
        // Samples with the same label are similar (0.8), others less (0.1): a class graph.
        const similarity = Float32Array.from({ length: n * n }, (_, k) =>
          labels[Math.floor(k / n)] === labels[k % n] ? 0.8 : 0.1,
        );
        for (let i = 0; i < n; i++) similarity[i * n + i] = 1;
        yield { views, labels, similarity, indices: Int32Array.from({ length: n }, (_, i) => step * n + i) } as TrainingBatch;
      }
    },
  };
}
