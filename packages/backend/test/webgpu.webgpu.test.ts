import * as tf from '@tensorflow/tfjs-core';
import { webgpuSkipReason } from '@xclr/vitest-config/webgpu';
import { describe, expect, it } from 'vitest';
import { describeBackend, describeEnvironment, useFastestBackend } from '../src/index.js';

// Selection of the webgpu backend through Dawn (`npm run test:webgpu`: on a GPU, or on Mesa's
// software rasterizer where there is none). Skips, saying why, where no adapter can be had.

const skipped = await webgpuSkipReason(() => useFastestBackend({ backend: 'webgpu' }));

describe.skipIf(skipped != null)(`useFastestBackend({ backend: 'webgpu' })${skipped ? ` (skipped: ${skipped})` : ''}`, () => {
  it('activates webgpu and describes the adapter: name, software or not, Dawn route, limits', async () => {
    const choice = await useFastestBackend({ backend: 'webgpu' });
    expect(choice.backend).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    const adapter = choice.adapter!;
    expect(adapter.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(2 ** 27);
    console.log(describeEnvironment(choice).join('\n'));
    expect(describeBackend(choice)).toMatch(/^backend: webgpu \(.+, (software|hardware), Dawn.*\)/);
    const line = describeEnvironment(choice).find((l) => l.startsWith('webgpu: '));
    expect(line).toMatch(/adapter .* feature level, maxBufferSize \d+ MiB, .*maxComputeInvocationsPerWorkgroup \d+ \(in use\)$/);
  });

  it('auto passes over a software adapter (slower than wasm), and says so', async () => {
    const choice = await useFastestBackend();
    expect(choice.backend).not.toBe('webgpu');
    const reason = choice.skipped.find((s) => s.backend === 'webgpu')?.reason;
    console.log(`auto: ${choice.backend}; webgpu: ${reason}`);
    expect(reason).toMatch(/^no WebGPU adapter|^software adapter .* is not chosen automatically/);
  });

  it('computes on the GPU, reads asynchronously, and says why a synchronous read cannot work', async () => {
    await useFastestBackend({ backend: 'webgpu' });
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.square(tf.matMul(v, v, false, true))))(x);
    // d/dx Σ (x xᵀ)² = 4 (x xᵀ) x, x xᵀ = [[14, 32], [32, 77]]
    expect(Array.from(await g.data())).toEqual([568, 752, 936, 1360, 1796, 2232]);
    // A read caches the values on the CPU; a result never read cannot be read synchronously.
    expect(Array.from(g.dataSync())).toEqual([568, 752, 936, 1360, 1796, 2232]);
    const h = tf.mul(g, 2);
    expect(() => h.dataSync()).toThrow(/cannot read a tensor synchronously in Node .*await tensor\.data\(\)/);
    expect(Array.from(await h.data())).toEqual([1136, 1504, 1872, 2720, 3592, 4464]);
    tf.dispose([x, g, h]);
  });

  it('tf.removeBackend frees the GPU buffers; asking again makes a new device', async () => {
    await useFastestBackend({ backend: 'webgpu' });
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    const t = tf.tidy(() => tf.mul(tf.ones([1024, 256]), 2));
    await t.data();
    const m = tf.memory() as tf.MemoryInfo & { numBytesAllocatedInGPU: number };
    expect(m.numBytesAllocatedInGPU).toBeGreaterThanOrEqual(2 ** 20);
    t.dispose();
    tf.removeBackend('webgpu');
    const again = await useFastestBackend({ backend: 'webgpu' });
    expect(again.backend).toBe('webgpu');
    expect((tf.memory() as typeof m).numBytesAllocatedInGPU).toBe(0);
    expect(Array.from(await tf.add(tf.scalar(1), tf.scalar(2)).data())).toEqual([3]);
  });
});
