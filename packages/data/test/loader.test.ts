import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ContrastiveLoader, classBalancedSubset, disposeBatch, type ImageDataset, simclrAugment } from '../src/index.js';

function toyDataset(size: number): ImageDataset {
  return {
    name: 'toy',
    size,
    height: 8,
    width: 8,
    channels: 1,
    pixels: Uint8Array.from({ length: size * 64 }, (_, i) => (i * 37) % 256),
    labels: Int32Array.from({ length: size }, (_, i) => i % 5),
    classNames: ['a', 'b', 'c', 'd', 'e'],
    source: 'test',
  };
}

describe('ContrastiveLoader', () => {
  it('the same seed gives the same batches; another seed another order; epochs differ', async () => {
    const ds = toyDataset(40);
    const make = (seed: number) => new ContrastiveLoader(ds, { batchSize: 8, seed, augment: simclrAugment(1) });
    const a = make(1).batch(0, 2);
    const b = make(1).batch(0, 2);
    expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
    expect(Array.from(a.views[1].dataSync())).toEqual(Array.from(b.views[1].dataSync()));
    expect(Array.from(make(2).batch(0, 2).indices)).not.toEqual(Array.from(a.indices));
    expect(Array.from(make(1).order(1))).not.toEqual(Array.from(make(1).order(0)));
    expect(a.views).toHaveLength(2);
    expect(a.views[0].shape).toEqual([8, 8, 8, 1]);
    expect(Array.from(a.labels!)).toEqual(Array.from(a.indices, (i) => i % 5));
    [a, b].forEach(disposeBatch);
  });

  it('an epoch visits every sample once (dropping the last partial batch) and leaks no tensors', async () => {
    const ds = toyDataset(43);
    const loader = new ContrastiveLoader(ds, { batchSize: 8, seed: 3, augment: simclrAugment(1) });
    expect(loader.stepsPerEpoch).toBe(5);
    const before = tf.memory().numTensors;
    const seen: number[] = [];
    for await (const batch of loader.epoch(0)) {
      seen.push(...batch.indices);
      disposeBatch(batch);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(new Set(seen).size).toBe(40);
    // Resuming from a step yields exactly the remaining batches.
    const rest: number[] = [];
    for await (const batch of loader.epoch(0, 3)) {
      rest.push(...batch.indices);
      disposeBatch(batch);
    }
    expect(rest).toEqual(seen.slice(24));
  });

  it('prefetch builds the next batch while the consumer awaits, with the same batches as without', async () => {
    const ds = toyDataset(40);
    const run = async (prefetch: number) => {
      const log: string[] = [];
      const loader = new (class extends ContrastiveLoader {
        override batch(epoch: number, step: number, order?: Int32Array) {
          log.push(`build ${step}`);
          return super.batch(epoch, step, order);
        }
      })(ds, { batchSize: 8, seed: 2, augment: simclrAugment(1), prefetch });
      const views: number[][] = [];
      for await (const batch of loader.epoch(0)) {
        log.push(`use ${batch.step}`);
        views.push(Array.from(batch.views[0].dataSync()));
        // The training step's asynchronous part. A setImmediate, not a timer: immediates run in
        // the order they were queued, so the ordering below does not depend on machine load (a
        // 1 ms timer could fire before the loader's queued immediate on a busy machine).
        await new Promise((r) => setImmediate(r));
        log.push(`done ${batch.step}`);
        disposeBatch(batch);
      }
      return { log, views };
    };
    const before = tf.memory().numTensors;
    const off = await run(0);
    const on = await run(1);
    expect(on.views).toEqual(off.views);
    expect(off.log.slice(0, 4)).toEqual(['build 0', 'use 0', 'done 0', 'build 1']);
    expect(on.log.slice(0, 4)).toEqual(['build 0', 'use 0', 'build 1', 'done 0']);
    // Leaving an epoch early disposes the batches built ahead.
    const loader = new ContrastiveLoader(ds, { batchSize: 8, seed: 2, augment: simclrAugment(1), prefetch: 2 });
    for await (const batch of loader.epoch(0)) {
      await new Promise((r) => setTimeout(r, 1));
      disposeBatch(batch);
      break;
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a batch size larger than the data', () => {
    expect(() => new ContrastiveLoader(toyDataset(5), { batchSize: 8, seed: 0, augment: simclrAugment(1) })).toThrow(
      'ContrastiveLoader: toy has 5 samples, fewer than one batch of 8',
    );
  });
});

describe('classBalancedSubset', () => {
  it('keeps the fraction of each class, deterministically', () => {
    const ds = toyDataset(1000);
    const ten = classBalancedSubset(ds, 0.1, 4);
    expect(ten.length).toBe(100);
    const counts = new Array(5).fill(0);
    for (const i of ten) counts[ds.labels![i]]++;
    expect(counts).toEqual([20, 20, 20, 20, 20]);
    expect(Array.from(classBalancedSubset(ds, 0.1, 4))).toEqual(Array.from(ten));
    expect(Array.from(classBalancedSubset(ds, 0.1, 5))).not.toEqual(Array.from(ten));
    expect(classBalancedSubset(ds, 0.001, 1).length).toBe(5);
    expect(() => classBalancedSubset(ds, 0)).toThrow(/fraction must be in \(0, 1\]/);
  });
});
