import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { attributeProbes, features, randomHalves } from '../src/index.js';

/** Rows whose features one-hot encode `shown` (3 values) plus noise; `hidden` (4 values) is not in them. */
function encoded(rows: number) {
  let state = 7;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const shown = Int32Array.from({ length: rows }, () => Math.floor(random() * 3));
  const hidden = Int32Array.from({ length: rows }, () => Math.floor(random() * 4));
  const dim = 6;
  const data = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < dim; k++) data[r * dim + k] = 0.3 * (random() - 0.5);
    data[r * dim + shown[r]] += 1;
  }
  return { f: features(data, dim), shown, hidden };
}

describe('randomHalves', () => {
  it('splits the rows into two disjoint halves that cover them, the same for a seed and different across seeds', () => {
    const [a, b] = randomHalves(101, 3);
    expect(a.length).toBe(50);
    expect(b.length).toBe(51);
    expect([...a, ...b].sort((x, y) => x - y)).toEqual(Array.from({ length: 101 }, (_, i) => i));
    expect(randomHalves(101, 3)).toEqual([a, b]);
    expect(Array.from(randomHalves(101, 4)[0])).not.toEqual(Array.from(a));
    // Random, not a stride: the first half is not the first 50 rows, nor every other row.
    expect(Array.from(a)).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(a)).not.toEqual(Array.from({ length: 50 }, (_, i) => 2 * i));
    expect(() => randomHalves(3)).toThrow('attributeProbes: need at least 4 rows to split in halves, got 3');
  });
});

describe('attributeProbes', () => {
  it('finds an attribute the features encode and stays at chance on one they do not, leaving no tensors', async () => {
    const { f, shown, hidden } = encoded(400);
    const before = tf.memory().numTensors;
    const r = await attributeProbes(f, { shown, hidden }, { epochs: 40 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.shown.top1).toBeGreaterThan(0.97);
    expect(r.shown.values).toBe(3);
    expect(r.hidden.values).toBe(4);
    // Chance for 4 uniform values is 0.25; a probe on unrelated features cannot do much better.
    expect(r.hidden.top1).toBeLessThan(0.4);
    expect(r.hidden.majority).toBeGreaterThan(0.2);
    expect(r.hidden.majority).toBeLessThan(0.35);
    // Deterministic for the seed.
    expect(await attributeProbes(f, { shown }, { epochs: 40 })).toEqual({ shown: r.shown });
  });

  it('clear errors for mismatched or non-integer labels', async () => {
    const { f } = encoded(10);
    await expect(attributeProbes(f, { size: new Int32Array(9) })).rejects.toThrow(
      'attributeProbes size: 9 labels for 10 feature rows',
    );
    await expect(attributeProbes(f, { size: Float32Array.from({ length: 10 }, () => 0.5) })).rejects.toThrow(
      'attributeProbes size: values must be integers ≥ 0, got 0.5',
    );
  });
});
