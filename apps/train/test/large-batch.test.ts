import { describe, expect, it } from 'vitest';
import { runDirIn, stepLosses, TINY, tmpDir, xclr } from './helpers.js';

// Beyond the batch from the CLI: train.chunkSize runs the encoder a chunk at a time with the same
// gradients (gradient caching), so the losses of a run equal the unchunked run's; loss.queue adds
// a memory queue whose state a resume restores.
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

describe('loss.queue', () => {
  it('X-CLR with a memory queue (plain and momentum) trains, and a resume restores the queue exactly', async () => {
    for (const queue of [
      ['--set', 'loss.queue.size=64'],
      ['--set', 'loss.queue.size=64', '--set', 'loss.queue.momentum=0.9'],
    ]) {
      const [plain, full, part] = [tmpDir('xclr-queue-a-'), tmpDir('xclr-queue-b-'), tmpDir('xclr-queue-c-')];
      const run = (dir: string, steps: number, extra: string[]) =>
        xclr([
          'train',
          '--preset',
          'fmnist-xclr',
          ...TINY,
          ...SMALL,
          '--set',
          `train.maxSteps=${steps}`,
          ...extra,
          '--runs-dir',
          dir,
        ]);
      expect((await run(plain, 6, [])).code).toBe(0);
      const r = await run(full, 6, queue);
      expect(r.code, r.err).toBe(0);
      // Step 1 sees an empty queue; from step 2 on the anchors see the earlier batches' entries too.
      const [a, b] = [plain, full].map((d) => stepLosses(runDirIn(d)));
      expect(b[0]).toEqual(a[0]);
      expect(b[1][1]).not.toBeCloseTo(a[1][1], 3);
      expect((await run(part, 3, queue)).code).toBe(0);
      const resumed = await xclr(['train', '--resume', runDirIn(part), '--set', 'train.maxSteps=6']);
      expect(resumed.code, resumed.err).toBe(0);
      expect(stepLosses(runDirIn(part))).toEqual(b);
    }
  });
});
