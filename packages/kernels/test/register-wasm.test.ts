import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmKernels, WASM_KERNELS } from '../src/index.js';
import { useWasmKernels } from './backends.js';

beforeAll(useWasmKernels);

describe('registerWasmKernels', () => {
  it('registers every kernel of the flat list on wasm, replacing the stock ones and adding the missing', () => {
    const changes = registerWasmKernels();
    expect(Object.keys(changes)).toEqual(WASM_KERNELS.map((k) => k.kernelName));
    for (const { kernelName } of WASM_KERNELS) expect(tf.getKernel(kernelName, 'wasm')).toBeDefined();
    expect(changes.Conv2DBackpropFilter).toBe('added');
    expect(changes.XclrReluGrad).toBe('added');
    expect(changes.BatchMatMul).toBe('replaced');
  });

  it('is idempotent: a second call changes nothing', () => {
    const before = WASM_KERNELS.map((k) => tf.getKernel(k.kernelName, 'wasm')?.kernelFunc);
    registerWasmKernels();
    expect(WASM_KERNELS.map((k) => tf.getKernel(k.kernelName, 'wasm')?.kernelFunc)).toEqual(before);
  });

  it('each kernel has a test file of its own', async () => {
    const fs = await import('node:fs');
    const tested = new Set(fs.readdirSync(new URL('./kernels/', import.meta.url)).map((f) => f.replace(/\.test\.ts$/, '')));
    expect(WASM_KERNELS.map((k) => k.kernelName).filter((name) => !tested.has(name))).toEqual([]);
  });
});
