import { readFileSync } from 'node:fs';
import type * as tf from '@tensorflow/tfjs-core';
import { barlowTwinsGraphLoss, barlowTwinsLoss, vicregGraphLoss, vicregLoss } from '../src/index.js';
import type { Loss } from './helpers.js';

// VICReg's and Barlow Twins' PyTorch reference cases (scripts/make_vicreg_barlow_fixtures.py) and
// how each is computed with this package, shared by the cpu (vicreg-barlow.test.ts) and webgpu
// (losses.webgpu.test.ts) checks.
export interface VicregBarlowCase {
  loss: 'vicreg' | 'barlow' | 'vicreg-graph' | 'barlow-graph';
  graph?: 'identity' | 'class';
  n: number;
  d: number;
  options: Record<string, number>;
  zA: number[][];
  zB: number[][];
  similarity?: number[][];
  value: number;
  gradA: number[][];
  gradB: number[][];
}

export const vicregBarlowFixture = JSON.parse(
  readFileSync(new URL('./fixtures/vicreg-barlow.json', import.meta.url), 'utf8'),
) as {
  cases: VicregBarlowCase[];
};

export function vicregBarlowLossOf(c: VicregBarlowCase, similarity: tf.Tensor2D | null): Loss {
  switch (c.loss) {
    case 'vicreg':
      return (a, b) => vicregLoss(a, b, c.options);
    case 'barlow':
      return (a, b) => barlowTwinsLoss(a, b, c.options);
    case 'vicreg-graph':
      return (a, b) => vicregGraphLoss(a, b, { ...c.options, similarity: similarity as tf.Tensor2D });
    case 'barlow-graph':
      return (a, b) => barlowTwinsGraphLoss(a, b, { ...c.options, similarity: similarity as tf.Tensor2D });
  }
}
