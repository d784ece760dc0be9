import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDirIn, stepLosses, TINY, tmpDir, xclr } from './helpers.js';

describe('xclr train (end to end, through the CLI)', () => {
  it('a tiny X-CLR run writes a complete run directory', async () => {
    const runs = tmpDir('xclr-runs-');
    const { code, out, err } = await xclr(['train', ...TINY, '--set', 'train.maxSteps=4', '--runs-dir', runs]);
    expect(err).toContain('backend: cpu');
    expect(code).toBe(0);
    const dir = runDirIn(runs);
    expect(path.basename(dir)).toMatch(/^\d{4}-\d{2}-\d{2}-\d{6}-fmnist-xclr$/);
    for (const f of ['config.resolved.json', 'metrics.jsonl', 'summary.csv', 'summary.json', 'eval.json', 'graph.json', 'report.html', 'plots/knn-vs-k.svg', 'plots/target-similarity.png', 'checkpoints/last/manifest.json']) {
      expect(fs.existsSync(path.join(dir, f)), f).toBe(true);
    }
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    for (const key of ['knnTop1', 'linearTop1', 'baselineKnnTop1', 'backend', 'seconds', 'samplesPerSecond']) expect(summary).toHaveProperty(key);
    expect(summary.steps).toBe(4);
    expect(summary.backend).toBe('cpu');
    expect(summary.native).toBeNull(); // the native engine serves wasm only
    expect(summary.knnTop1).toBeGreaterThan(0.3);
    expect(stepLosses(dir).map(([s]) => s)).toEqual([1, 2, 3, 4]);
    expect(out).toMatch(/raw pixels\s+\d+\.\d\d%\s+\d+\.\d\d%/);
    expect(out).toMatch(/fmnist-xclr encoder\s+\d+\.\d\d%/);
  });

  it('--resume continues exactly: the losses after a resume equal an uninterrupted run', async () => {
    const full = tmpDir('xclr-full-');
    const part = tmpDir('xclr-part-');
    expect((await xclr(['train', ...TINY, '--set', 'train.maxSteps=6', '--runs-dir', full])).code).toBe(0);
    expect((await xclr(['train', ...TINY, '--set', 'train.maxSteps=3', '--runs-dir', part])).code).toBe(0);
    const partDir = runDirIn(part);
    const resumed = await xclr(['train', '--resume', partDir, '--set', 'train.maxSteps=6']);
    expect(resumed.code).toBe(0);
    expect(resumed.err).toContain('resumed at step 3');
    expect(stepLosses(partDir)).toEqual(stepLosses(runDirIn(full)));
  });

  it('Ctrl-C saves a checkpoint at the current step and exits with 130, without evaluating', async () => {
    const runs = tmpDir('xclr-int-');
    const interrupted = xclr(['train', ...TINY, '--set', 'train.maxSteps=100000', '--runs-dir', runs]);
    // Interrupt once training is under way (the first metrics line exists).
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        const dirs = fs.existsSync(runs) ? fs.readdirSync(runs) : [];
        if (dirs.length && fs.existsSync(path.join(runs, dirs[0], 'metrics.jsonl'))) {
          clearInterval(poll);
          process.emit('SIGINT');
          resolve();
        }
      }, 20);
    });
    const { code, err } = await interrupted;
    expect(code).toBe(130);
    expect(err).toMatch(/stopped at step \d+; checkpoint saved to .*last; resume with: xclr train --resume/);
    const dir = runDirIn(runs);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoints/last/manifest.json'), 'utf8'));
    expect(manifest.step).toBeGreaterThan(0);
    expect(manifest.step).toBeLessThan(100000);
    expect(fs.existsSync(path.join(dir, 'summary.json'))).toBe(false);
  });
});
