import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { describeBackend, useFastestBackend } from '../src/index.js';

describe('useFastestBackend', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('skips the native backends that are not installed and picks wasm, saying why', async () => {
    const choice = await useFastestBackend();
    expect(choice.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.skipped.map((s) => s.backend)).toEqual(['tfjs-node-gpu', 'webgpu', 'tfjs-node']);
    const [gpu, webgpu, node] = choice.skipped;
    for (const s of [gpu, node]) expect(s.reason).toMatch(/not installed/);
    // webgpu is a dev dependency here; this machine has no GPU: no adapter, or a software one passed over.
    expect(webgpu.reason).toMatch(/^no WebGPU adapter|^software adapter .* is not chosen automatically/);
    if (choice.adapter) expect(choice.adapter.software).toBe(true);
    const line = describeBackend(choice);
    expect(line).toMatch(/^backend: wasm \(\d+ threads?\)/);
    expect(line).toContain('skipped tfjs-node: @tensorflow/tfjs-node is not installed');
    // onnxruntime-node is a dev dependency here: the native engine is on, and says so.
    expect(choice.native).toMatch(/^onnxruntime-node 1\.30\.\d+$/);
    expect(line).toMatch(/large matmuls and convolutions on onnxruntime-node 1\.30\.\d+ \(\d+ threads?\)/);
  });

  it('native: false keeps wasm on XNNPACK alone', async () => {
    const choice = await useFastestBackend({ backend: 'wasm', native: false });
    expect(choice.native).toBeNull();
    expect(describeBackend(choice)).toContain('matmuls and convolutions on XNNPACK (native engine turned off)');
  });

  it('computes the same matmul on wasm as on cpu, with gradients registered', async () => {
    await useFastestBackend({ backend: 'wasm' });
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, x, false, true))))(a);
    const wasmGrad = await g.data();
    await useFastestBackend({ backend: 'cpu' });
    const b = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const g2 = tf.grad((x: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, x, false, true))))(b);
    expect(Array.from(wasmGrad)).toEqual(Array.from(await g2.data()));
  });

  it('forcing a backend that is not installed fails with the reason', async () => {
    await expect(useFastestBackend({ backend: 'tfjs-node' })).rejects.toThrow(/tfjs-node is not installed/);
  });

  it('rejects unknown names and bad thread counts', async () => {
    await expect(useFastestBackend({ backend: 'webgl' as never })).rejects.toThrow(/unknown backend "webgl"/);
    await expect(useFastestBackend({ threads: 0 })).rejects.toThrow(/threads must be a positive integer/);
  });
});

describe('the kernel package', () => {
  it('is loaded where installed, and its absence is not an error', async () => {
    const { loadKernels } = await import('../src/kernels.js');
    expect(typeof (await loadKernels())?.setUpWasmTraining).toBe('function');
    const missing = (id: string): string => {
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
    };
    expect(await loadKernels(missing)).toBeNull();
  });
});
