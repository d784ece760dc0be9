import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { loadCheckpoint, readCheckpointManifest, readCheckpointTensors, saveCheckpoint } from '../src/checkpoint.js';

it('named tensors beside the weights round-trip bit for bit, float32 and int32; a checkpoint without any reads {}', async () => {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-ckpt-tensors-')), 'last');
  const weight = tf.variable(tf.randomNormal([3, 2], 0, 1, 'float32', 1));
  const queue = tf.randomNormal([5, 4], 0, 1, 'float32', 2);
  const keys = tf.tensor1d([7, -1, 3, 0, 2], 'int32');
  await saveCheckpoint(dir, {
    architecture: null,
    variables: [weight],
    step: 3,
    epoch: 0,
    tensors: { 'queue/embeddings': queue, 'queue/keys': keys },
  });
  expect(readCheckpointManifest(dir).tensors?.map((t) => t.name)).toEqual(['queue/embeddings', 'queue/keys']);
  await loadCheckpoint(dir, { architecture: null, variables: [weight] }); // the weights load as before
  const read = readCheckpointTensors(dir);
  expect(read['queue/embeddings'].shape).toEqual([5, 4]);
  expect(Array.from(read['queue/embeddings'].dataSync())).toEqual(Array.from(queue.dataSync()));
  expect(read['queue/keys'].dtype).toBe('int32');
  expect(Array.from(read['queue/keys'].dataSync())).toEqual([7, -1, 3, 0, 2]);
  tf.dispose(Object.values(read));
  await saveCheckpoint(dir, { architecture: null, variables: [weight], step: 4, epoch: 0 });
  expect(readCheckpointManifest(dir).tensors).toBeUndefined();
  expect(readCheckpointTensors(dir)).toEqual({});
  expect(fs.existsSync(path.join(dir, 'tensors.bin'))).toBe(false);
  tf.dispose([weight, queue, keys]);
});
