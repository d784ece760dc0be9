import { useFastestBackend } from '@xclr/backend';
import { webgpuSkipReason } from '@xclr/vitest-config/webgpu';
import { describe, expect, it } from 'vitest';
import { runDirIn, stepLosses, tmpDir, xclr } from './helpers.js';

// The webgpu lane (`npm run test:webgpu`): `xclr train --backend webgpu` trains and evaluates (the
// loop and the evaluation read values asynchronously, as webgpu needs in Node) and its losses
// match `--backend cpu`. Skips, saying why, where no WebGPU adapter can be had.
const skipped = await webgpuSkipReason(() => useFastestBackend({ backend: 'webgpu' }));

// The default preset (X-CLR, MLP, Fashion-MNIST), 20 steps, every loss logged; a smaller batch and
// evaluation than the preset's keep the cpu run short.
const run = (backend: string, dir: string) =>
  xclr([
    'train',
    '--backend',
    backend,
    '--runs-dir',
    dir,
    ...[
      'train.maxSteps=20',
      'train.batchSize=64',
      'train.logEvery=1',
      'eval.trainSize=1000',
      'eval.testSize=500',
      'eval.linearEpochs=10',
    ].flatMap((s) => ['--set', s]),
  ]);

describe.skipIf(skipped !== null)(`xclr train --backend webgpu${skipped ? ` (skipped: ${skipped})` : ''}`, () => {
  it('trains 20 steps and evaluates; every loss within 1e-3 (relative) of the cpu backend', { timeout: 900_000 }, async () => {
    // cpu first: a tensor left from a webgpu run could only move to cpu by a synchronous read.
    const [cpuDir, gpuDir] = [tmpDir('xclr-cpu-'), tmpDir('xclr-webgpu-')];
    const cpu = await run('cpu', cpuDir);
    expect(cpu.code, cpu.err).toBe(0);
    const gpu = await run('webgpu', gpuDir);
    expect(gpu.code, gpu.err).toBe(0);
    expect(gpu.out).toMatch(/^backend webgpu \(1 thread\)/m);
    expect(gpu.out).toMatch(/fmnist-xclr encoder\s+\d+\.\d+%\s+\d+\.\d+%/);
    const [a, b] = [stepLosses(runDirIn(cpuDir)), stepLosses(runDirIn(gpuDir))];
    expect(b.map(([step]) => step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const worst = Math.max(...b.map(([, loss], i) => Math.abs(loss - a[i][1]) / Math.abs(a[i][1])));
    console.log(`webgpu vs cpu: largest relative loss difference over 20 steps ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-3);
  });
});
