import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
const child = fileURLToPath(new URL('./fixtures/simd-helper-check.ts', import.meta.url));

// In a child process, as threads.test.ts: the threaded backend's start-up has its own tests there.
describe('SIMD loops in two shares on the threaded heap', () => {
  it('give the same bits as one share, report a failing share, and let the process exit', async () => {
    const { stdout } = await run(tsx, ['--conditions=@xclr/source', child], { timeout: 240_000 });
    const report = JSON.parse(stdout.trim().split('\n').pop() as string);
    expect(report.threads).toBe(2);
    expect(report.notes.join('; ')).toMatch(/SIMD loops in two shares/);
    expect(report.same).toEqual({
      maxPoolGrad: true,
      reluGrad: true,
      batchNormGrad: true,
      blockGradientAsFilter: true,
      columnSums: true,
      sumOfSquares: true,
      pointwiseInputGradient: true,
      pooledConv2d: true,
      adam: true,
    });
    // each case ran once with the helper: 2 pooling gradients (the odd 11 × 11 map included), 1 ReLU
    // gradient, batch norm's statistics (1 job) and gradient (its sums and its output: 2), 1
    // re-blocking, 1 column sum, 1 sum of squares, 1 scatter of a projection's input gradient, a
    // pooled convolution and its filter gradient (2), 2 Adam steps, the failing job, then one more
    // ReLU gradient
    expect(report.jobs).toBe(16);
    expect(report.failure).toMatch(/SIMD helper thread failed in reluGrad: .*out of bounds/);
    expect(report.sameAfterFailure).toBe(true);
  }, 300_000);
});
