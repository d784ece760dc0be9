import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { runReadmeExample } from '@xclr/vitest-config/readme';
import { describe, expect, it } from 'vitest';
import {
  createLoss,
  type LossQueue,
  ntXentLoss,
  ntXentQueueLoss,
  supConLoss,
  supConQueueLoss,
  xclrLoss,
  xclrQueueLoss,
  xclrQueueTargets,
} from '../src/index.js';
import { l2Normalize } from '../src/normalize.js';
import { queuedSelfContrast } from '../src/queue.js';
import { expectClose, expectNoLeak, expectSameLoss, flat, type Loss, randn, randomSimilarity, valueAndGrads } from './helpers.js';
import { queueCaseName, queuedLossOf, queueFixture, queueOf } from './queue-cases.js';

describe('queued losses match the PyTorch float64 references', () => {
  expect(queueFixture.cases.length).toBeGreaterThan(40);
  expect(new Set(queueFixture.cases.map((c) => c.q))).toContain(0);
  for (const c of queueFixture.cases) {
    it(queueCaseName(c), () => {
      const zA = tf.tensor2d(c.zA);
      const zB = tf.tensor2d(c.zB);
      const queue = queueOf(c);
      const got = valueAndGrads(queuedLossOf(c, queue), zA, zB);
      // τ = 0.01 puts logits at ±100, where float32 keeps about 1e-5 of them.
      const rtol = c.temperature < 0.05 ? 1e-4 : 1e-5;
      expectClose([got.value], [c.value], rtol);
      const scale = Math.max(...flat(c.gradA).map(Math.abs), ...flat(c.gradB).map(Math.abs));
      const gtol = c.temperature < 0.05 ? 1e-3 : 1e-4;
      expectClose(got.gradA, flat(c.gradA), gtol, gtol * scale);
      expectClose(got.gradB, flat(c.gradB), gtol, gtol * scale);
      tf.dispose([zA, zB, queue.embeddings, queue.similarity ?? []].flat());
    });
  }

  for (const c of queueFixture.cases.filter((x) => x.loss === 'xclr')) {
    it(`targets${c.mode === 'all' ? ' and logits' : ''}: ${queueCaseName(c)}`, () => {
      const similarity = tf.tensor2d(c.similarity as number[][]);
      const queue = queueOf(c);
      const options = { targetTemperature: c.targetTemperature, mode: c.mode };
      const targets = xclrQueueTargets(similarity, queue.similarity as tf.Tensor2D, options);
      const cols = c.mode === 'all' ? 2 * c.n + c.q : c.n + c.q;
      expect(targets.shape).toEqual([2 * c.n, cols]);
      expectClose(targets.dataSync(), flat(c.targets as number[][]), 1e-5, 1e-7);
      if (c.mode === 'all') {
        const z = tf.concat([l2Normalize(tf.tensor2d(c.zA)), l2Normalize(tf.tensor2d(c.zB))]) as tf.Tensor2D;
        const { logits, mask } = queuedSelfContrast(z, l2Normalize(queue.embeddings), c.temperature);
        expectClose(logits.dataSync(), flat(c.logits as number[][]), 1e-5, 1e-5 / c.temperature);
        // Each anchor's own entry, and only it, is left out.
        const kept = Array.from(mask.dataSync());
        expect(kept.filter((v) => v === 0).length).toBe(2 * c.n);
        for (let r = 0; r < 2 * c.n; r++) expect(kept[r * cols + r]).toBe(0);
      }
    });
  }
});

describe('with an empty queue (Q = 0) the queued losses are the batch-only losses', () => {
  const n = 12;
  const d = 10;
  const zA = tf.keep(randn(n, d, 1));
  const zB = tf.keep(tf.add(zA, tf.mul(randn(n, d, 2), 0.3)) as tf.Tensor2D);
  const similarity = tf.keep(randomSimilarity(n, 16, 3));
  const labels = tf.keep(
    tf.tensor1d(
      Array.from({ length: n }, (_, i) => i % 4),
      'int32',
    ) as tf.Tensor1D,
  );
  const empty: LossQueue = {
    embeddings: tf.keep(tf.zeros([0, d]) as tf.Tensor2D),
    similarity: tf.keep(tf.zeros([n, 0]) as tf.Tensor2D),
    labels: [],
  };

  for (const mode of ['all', 'cross'] as const) {
    for (const targetTemperature of [0.01, 0.1]) {
      it(`xclr ${mode} τs=${targetTemperature}`, () => {
        const options = { temperature: 0.1, targetTemperature, mode };
        expectSameLoss(
          (a, b) => xclrQueueLoss(a, b, similarity, empty, options),
          (a, b) => xclrLoss(a, b, similarity, options),
          zA,
          zB,
        );
      });
    }
  }

  it('ntxent', () => {
    expectSameLoss(
      (a, b) => ntXentQueueLoss(a, b, empty, { temperature: 0.2 }),
      (a, b) => ntXentLoss(a, b, { temperature: 0.2 }),
      zA,
      zB,
    );
  });

  for (const contrastMode of ['all', 'one'] as const) {
    it(`supcon ${contrastMode}, two views and one`, () => {
      const options = { temperature: 0.1, contrastMode };
      expectSameLoss(
        (a, b) => supConQueueLoss(a, b, labels, empty, options),
        (a, b) => supConLoss(a, b, labels, options),
        zA,
        zB,
      );
      const one = supConQueueLoss(zA, null, labels, empty, options);
      const reference = supConLoss(zA, null, labels, options);
      expectClose(one.dataSync(), reference.dataSync(), 1e-6);
      tf.dispose([one, reference]);
    });
  }
});

describe('by name: context.queue selects the queued form', () => {
  const n = 8;
  const d = 6;
  const q = 5;
  const zA = tf.keep(randn(n, d, 11));
  const zB = tf.keep(randn(n, d, 12));
  const captions = tf.keep(randomSimilarity(n + q, 16, 13));
  const similarity = tf.keep(tf.slice(captions, [0, 0], [n, n]) as tf.Tensor2D);
  const queue: LossQueue = {
    embeddings: tf.keep(randn(q, d, 14)),
    similarity: tf.keep(tf.slice(captions, [0, n], [n, q]) as tf.Tensor2D),
    labels: [0, 1, 2, 0, 1],
  };
  const labels = [0, 1, 2, 3, 0, 1, 2, 3];

  it('xclr, ntxent and supcon through createLoss equal the functions', () => {
    const pairs = [
      [
        createLoss('xclr', { temperature: 0.2 })(zA, zB, { similarity, queue }),
        xclrQueueLoss(zA, zB, similarity, queue, { temperature: 0.2 }),
      ],
      [createLoss('ntxent')(zA, zB, { queue }), ntXentQueueLoss(zA, zB, queue)],
      [createLoss('supcon')(zA, zB, { labels, queue }), supConQueueLoss(zA, zB, labels, queue)],
    ];
    for (const [a, b] of pairs) expectClose(a.dataSync(), b.dataSync(), 1e-6);
    // The queue changes the loss.
    const without = createLoss('xclr', { temperature: 0.2 })(zA, zB, { similarity });
    expect(Math.abs(without.dataSync()[0] - pairs[0][0].dataSync()[0])).toBeGreaterThan(1e-3);
    tf.dispose([...pairs.flat(), without]);
  });

  it('no gradient reaches the queue, even when it was computed from a variable', () => {
    const source = tf.variable(randn(q, d, 15));
    const losses: Array<(k: tf.Tensor2D) => tf.Scalar> = [
      (k) => xclrQueueLoss(zA, zB, similarity, { ...queue, embeddings: k }),
      (k) => ntXentQueueLoss(zA, zB, { embeddings: k }),
      (k) => supConQueueLoss(zA, zB, labels, { ...queue, embeddings: k }),
    ];
    for (const loss of losses) {
      const { grads } = tf.variableGrads(() => loss(tf.mul(source, 2) as tf.Tensor2D), [source]);
      expect(Array.from(grads[source.name].dataSync()).every((g) => g === 0)).toBe(true);
      tf.dispose(Object.values(grads));
    }
    source.dispose();
  });

  it('forward and backward leave no tensors behind', () => {
    const labelTensor = tf.tensor1d(labels, 'int32');
    const all: Loss[] = [
      (a, b) => createLoss('xclr')(a, b, { similarity, queue }),
      (a, b) => xclrQueueLoss(a, b, similarity, queue, { mode: 'cross' }),
      (a, b) => createLoss('ntxent')(a, b, { queue }),
      (a, b) => createLoss('supcon')(a, b, { labels, queue }),
      (a, b) => supConQueueLoss(a, b, labelTensor, queue, { contrastMode: 'one' }),
    ];
    for (const loss of all) {
      expectNoLeak(() => loss(zA, zB));
      expectNoLeak(() => {
        const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) => loss(a as tf.Tensor2D, b as tf.Tensor2D))([
          zA,
          zB,
        ]);
        tf.dispose([value, ...grads]);
      });
    }
    labelTensor.dispose();
  });

  it('finite at τ = 0.01 and τ_s = 0.01 with near-duplicate batch and queue embeddings', () => {
    const base = randn(n, d, 16);
    const a = tf.add(base, tf.mul(randn(n, d, 17), 1e-6)) as tf.Tensor2D;
    const b = tf.add(base, tf.mul(randn(n, d, 18), 1e-6)) as tf.Tensor2D;
    const near = { ...queue, embeddings: tf.add(tf.slice(base, [0, 0], [q, d]), 1e-6) as tf.Tensor2D };
    const all: Loss[] = [
      (x, y) => xclrQueueLoss(x, y, similarity, near, { temperature: 0.01, targetTemperature: 0.01 }),
      (x, y) => xclrQueueLoss(x, y, similarity, near, { temperature: 0.01, targetTemperature: 0.01, mode: 'cross' }),
      (x, y) => ntXentQueueLoss(x, y, near, { temperature: 0.01 }),
      (x, y) => supConQueueLoss(x, y, labels, near, { temperature: 0.01 }),
    ];
    for (const loss of all) {
      const got = valueAndGrads(loss, a, b);
      expect(Number.isFinite(got.value)).toBe(true);
      expect(got.gradA.every(Number.isFinite) && got.gradB.every(Number.isFinite)).toBe(true);
    }
  });

  it('clear errors', () => {
    expect(() => xclrQueueLoss(zA, zB, similarity, { ...queue, embeddings: randn(q, d + 1, 1) })).toThrow(
      `xclrQueueLoss: queue.embeddings must be [Q, ${d}] like the batch's embeddings, got shape [${q}, ${d + 1}]`,
    );
    expect(() => xclrQueueLoss(zA, zB, similarity, { embeddings: queue.embeddings })).toThrow(
      `xclrQueueLoss: queue.similarity is required, expected the [${n}, ${q}] similarity of the batch to the queue`,
    );
    expect(() => xclrQueueLoss(zA, zB, similarity, { ...queue, similarity })).toThrow(
      `xclrQueueLoss: queue.similarity must be [${n}, ${q}] (batch × queue), got shape [${n}, ${n}]`,
    );
    expect(() => supConQueueLoss(zA, zB, labels, { embeddings: queue.embeddings })).toThrow(
      `supConQueueLoss: queue.labels is required, expected ${q} integer labels (one per entry)`,
    );
    expect(() => supConQueueLoss(zA, zB, labels, { ...queue, labels: [0, 1] })).toThrow(
      `supConQueueLoss: queue.labels must hold ${q} labels (one per entry), got 2`,
    );
    expect(() => supConQueueLoss(zA, null, [0, 1, 2, 3, 4, 5, 6, 7], { ...queue, labels: [9, 9, 9, 9, 9] })).toThrow(
      'supConQueueLoss: no anchor has a positive',
    );
    expect(() => ntXentQueueLoss(zA, zB, undefined as never)).toThrow(
      'ntXentQueueLoss: queue.embeddings is required, expected a [Q, D] tensor',
    );
  });
});

it("the README's 'Memory queues' block runs the three queued losses", async () => {
  // runReadmeExample runs a file's first js block: a file holding only this section, in a directory of its own.
  const testDir = fileURLToPath(new URL('.', import.meta.url));
  const text = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = text.split('\n## Memory queues: candidates beyond the batch\n')[1]?.split('\n## ')[0];
  expect(section).toMatch(/```js\n/);
  const dir = fs.mkdtempSync(path.join(testDir, '.readme-section-'));
  try {
    const file = path.join(dir, 'README.md');
    fs.writeFileSync(file, section ?? '');
    const logged = await runReadmeExample(file, dir);
    expect(logged.map((line) => line.split(' ')[0])).toEqual(['xclr', 'ntxent', 'supcon']);
    for (const line of logged) expect(Number.isFinite(Number(line.split(' ').at(-1)))).toBe(true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
