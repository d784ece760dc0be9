import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { useFastestBackend } from '@xclr/backend';
import { beforeAll, describe, it } from 'vitest';
import { clipLoss, ntXentLoss, supConLoss, xclrLoss } from '../src/index.js';
import { expectClose, flat } from './helpers.js';

// The same PyTorch float64 references on the wasm backend: each backend has its own kernels (the
// stock wasm OneHot, for one, ignores the dtype it is asked for), so the losses are checked on
// the backend this project trains on too, both unblocked and row-blocked.
interface Case {
  loss: 'ntxent' | 'xclr' | 'supcon' | 'clip';
  n: number;
  temperature?: number;
  targetTemperature?: number;
  baseTemperature?: number;
  mode?: 'all' | 'cross';
  contrastMode?: 'all' | 'one';
  twoViews?: boolean;
  logScale?: number;
  zA: number[][];
  zB: number[][];
  similarity?: number[][];
  labels?: number[];
  value: number;
  gradA: number[][];
}

const { cases } = JSON.parse(readFileSync(new URL('./fixtures/reference.json', import.meta.url), 'utf8')) as { cases: Case[] };

beforeAll(async () => {
  await useFastestBackend({ backend: 'wasm' });
});

function loss(c: Case, zA: tf.Tensor2D, zB: tf.Tensor2D, blockSize?: number): tf.Scalar {
  switch (c.loss) {
    case 'ntxent':
      return ntXentLoss(zA, zB, { temperature: c.temperature, blockSize });
    case 'xclr':
      return xclrLoss(zA, zB, tf.tensor2d(c.similarity as number[][]), {
        temperature: c.temperature,
        targetTemperature: c.targetTemperature,
        mode: c.mode,
        blockSize: c.mode === 'cross' ? undefined : blockSize,
      });
    case 'supcon':
      return supConLoss(zA, c.twoViews ? zB : null, tf.tensor1d(c.labels as number[], 'int32'), {
        temperature: c.temperature,
        baseTemperature: c.baseTemperature,
        contrastMode: c.contrastMode,
        blockSize: c.twoViews && c.contrastMode !== 'one' ? blockSize : undefined,
      });
    case 'clip':
      return clipLoss(zA, zB, { logitScale: Math.exp(c.logScale ?? 0) });
  }
}

describe.each([
  ['losses on wasm match the PyTorch float64 references', false],
  ['row-blocked losses on wasm match them too', true],
] as const)('%s', (_, blocked) => {
  for (const c of cases.filter((c) => c.n <= 64)) {
    it(`${c.loss} N=${c.n} ${c.mode ?? ''} ${c.contrastMode ?? ''}`, () => {
      const zA = tf.tensor2d(c.zA);
      const zB = tf.tensor2d(c.zB);
      const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) =>
        tf.add(loss(c, a as tf.Tensor2D, b as tf.Tensor2D, blocked ? Math.ceil(c.n / 3) : undefined), tf.mul(tf.sum(b), 0)),
      )([zA, zB]);
      expectClose(value.dataSync(), [c.value], 1e-4);
      const scale = Math.max(...flat(c.gradA).map(Math.abs));
      expectClose(grads[0].dataSync(), flat(c.gradA), 1e-3, 1e-3 * scale);
      tf.dispose([zA, zB, value, ...grads]);
    });
  }
});
