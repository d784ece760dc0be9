import { describe, expect, it } from 'vitest';
import { runDirIn, stepLosses, TINY, tmpDir, xclr } from './helpers.js';

// Large batches from the CLI: train.chunkSize runs the encoder a chunk at a time with the same
// gradients (gradient caching), so the losses of a run equal the unchunked run's.
const SMALL = ['--set', 'train.maxSteps=4', '--set', 'data.fraction=0.05'];

describe('train.chunkSize', () => {
  it('gives the losses of the unchunked run, from a preset', async () => {
    const [plain, chunked] = [tmpDir('xclr-chunk-a-'), tmpDir('xclr-chunk-b-')];
    expect((await xclr(['train', '--preset', 'fmnist-simclr', ...TINY, ...SMALL, '--runs-dir', plain])).code).toBe(0);
    const r = await xclr([
      'train',
      '--preset',
      'fmnist-simclr',
      ...TINY,
      ...SMALL,
      '--set',
      'train.chunkSize=12',
      '--runs-dir',
      chunked,
    ]);
    expect(r.code, r.err).toBe(0);
    const [a, b] = [plain, chunked].map((d) => stepLosses(runDirIn(d)));
    expect(b.map(([step]) => step)).toEqual([1, 2, 3, 4]);
    for (const [i, [, loss]] of a.entries()) expect(Math.abs(b[i][1] - loss) / Math.abs(loss)).toBeLessThan(1e-5);
    // The option reaches fit: an encoder with batch normalization cannot be chunked exactly, and says so.
    const resnet = [
      '--set',
      'model.encoder={"type":"resnet18","inputShape":[28,28,1],"width":0.125}',
      '--set',
      'train.chunkSize=12',
    ];
    const refused = await xclr([
      'train',
      '--preset',
      'fmnist-simclr',
      ...TINY,
      ...SMALL,
      ...resnet,
      '--runs-dir',
      tmpDir('xclr-chunk-c-'),
    ]);
    expect(refused.err).toMatch(/chunkSize needs an encoder whose output for a sample does not depend on the rest of the batch/);
    const bad = await xclr(['config', 'print', '--set', 'train.chunkSize=0']);
    expect(bad.err).toMatch(/train\.chunkSize: /);
  });
});
