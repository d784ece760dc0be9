import * as tf from '@tensorflow/tfjs-core';
import { disposeBatch, NO_AUGMENT, openDataset } from '@xclr/data';
import { ContrastiveModel } from '@xclr/models';
import { createObjective, fit, mapBatches } from '@xclr/training';
import { beforeAll, describe, expect, it } from 'vitest';
import { runDirIn, stepLosses, TINY, tmpDir, writeCaptionedShards, xclr } from './helpers.js';

// Captioned WebDataset shards (4 of 30 samples, 16×16) streamed by `fit`, as `xclr train` streams
// `data.dataset=webdataset`: a run that dies mid-epoch and is resumed from its checkpoint sees the
// batches, key for key, that an uninterrupted run sees.
const dir = tmpDir('xclr-stream-resume-');

beforeAll(async () => {
  await writeCaptionedShards(dir, 120, 30);
});

/** Trains 2 epochs of 7 steps on the stream, checkpointing every 3 steps; records each step's keys. */
async function run(checkpoints: string, options: { crashAt?: number; resume?: boolean } = {}) {
  const { streamed } = await openDataset({ dataset: 'webdataset', path: dir, imageSize: 16 }, { trainSample: 16 });
  const stream = await streamed!.open({ batchSize: 16, seed: 5, augment: NO_AUGMENT, shuffleBuffer: 20 });
  const model = new ContrastiveModel({ encoder: { type: 'mlp', inputShape: [16, 16, 3], hidden: [8] }, head: null }, 1);
  const objective = createObjective('ntxent', { model, temperature: 0.5 });
  const optimizer = tf.train.adam(1e-3);
  const keys: string[] = [];
  try {
    await fit({
      objective,
      data: mapBatches(stream, (b) => {
        keys.push(`${b.epoch}:${b.step} ${b.keys.join(',')}`);
        return b;
      }),
      optimizer,
      epochs: 2,
      resume: options.resume,
      checkpoint: { dir: checkpoints, every: 3, architecture: model.config },
      disposeBatch,
      callbacks: [
        {
          onStepEnd: (log) => {
            if (log.step === options.crashAt) throw new Error('killed'); // dies without a checkpoint of this step
          },
        },
      ],
    }).catch((err: Error) => {
      if (err.message !== 'killed') throw err;
    });
    return { keys, decoded: stream.stats.decoded };
  } finally {
    model.dispose();
    objective.dispose();
    optimizer.dispose();
  }
}

describe('streamed training data', () => {
  it('a run killed mid-epoch and resumed sees exactly the batches (keys) of an uninterrupted run', async () => {
    const whole = await run(tmpDir('xclr-stream-whole-'));
    expect(whole.keys).toHaveLength(14);
    expect(new Set(whole.keys.slice(0, 7).flatMap((k) => k.split(' ')[1].split(','))).size).toBe(7 * 16);
    for (const crashAt of [5, 11]) {
      const checkpoints = tmpDir('xclr-stream-crash-');
      const crashed = await run(checkpoints, { crashAt });
      expect(crashed.keys).toEqual(whole.keys.slice(0, crashAt));
      const resumed = await run(checkpoints, { resume: true });
      const saved = Math.floor(crashAt / 3) * 3; // the last checkpoint before the crash
      expect(resumed.keys, `killed at step ${crashAt}`).toEqual(whole.keys.slice(saved));
      // The resumed stream replays the steps before the checkpoint without reading their images.
      expect(resumed.decoded).toBe((14 - saved) * 16);
    }
  });

  it('xclr train streams data.dataset=webdataset while training', async () => {
    const runs = tmpDir('xclr-stream-runs-');
    const args = ['train', '--preset', 'synth-xclr', ...TINY, '--set', 'data.dataset=webdataset', '--set', `data.path=${dir}`];
    const size = [
      '--set',
      'data.imageSize=16',
      '--set',
      'train.batchSize=16',
      '--set',
      'train.maxSteps=4',
      '--set',
      'eval.trainSize=40',
    ];
    const r = await xclr([...args, ...size, '--runs-dir', runs]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/data: webdataset\/train: 120 samples in 4 files, indexed in [\d.]+ s \(streamed while training\)/);
    expect(r.err).toMatch(/data: webdataset\/train\[sample\] \(120 of 120 images, .* \(a sample of 40 of 120\)\)/);
    expect(stepLosses(runDirIn(runs)).map(([step]) => step)).toEqual([1, 2, 3, 4]);
  });
});
