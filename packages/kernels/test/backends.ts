import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { setUpCpuTraining, setUpWasmTraining, type WasmKernelPatch, type WasmTraining } from '../src/index.js';

/**
 * Makes `backend` active with this package's kernels, as @xclr/backend's useFastestBackend does
 * (the Vitest setup file has registered tfjs's gradients).
 */
export async function useBackend(
  backend: 'wasm' | 'cpu',
  options: { native?: boolean; threads?: number } = {},
): Promise<WasmTraining> {
  if (backend === 'cpu') {
    const replaced = setUpCpuTraining();
    if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise');
    return { threads: 1, native: null, notes: [`cpu kernels: ${replaced.join(', ')}`] };
  }
  // One thread unless a test asks for more: tfjs-wasm's 8-worker pool start-up has timed out under
  // CI load (cause not found; threads.test.ts tests the threaded start on its own).
  return setUpWasmTraining({ threads: 1, ...options });
}

/**
 * The wasm backend with this package's kernels on XNNPACK (the native engine has its own tests),
 * on one thread: each kernel's test file is a process of its own, and worker threads (tested in
 * threads.test.ts) would only add 8 worker start-ups per file; the kernels compute the same.
 */
export async function useWasmKernels(): Promise<void> {
  await useBackend('wasm', { native: false, threads: 1 });
}

/**
 * Runs `config`'s kernel on the active (wasm) backend with stock kernels that throw, so a call
 * that falls back to the stock kernel fails; returns the output's values.
 */
function runWithoutStock(config: WasmKernelPatch, x: tf.Tensor, attrs: Record<string, unknown>): Float32Array {
  const refuse = () => {
    throw new Error(`fell back to the stock ${config.kernelName}`);
  };
  const kernel = config.kernelFunc(new Map([[config.kernelName, refuse]]));
  const backend = tf.backend();
  // tfjs passes axis: null (every axis), which NamedAttrMap's type leaves out
  const out = kernel({ inputs: { x }, backend, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
  const values = backend.readSync(out.dataId) as Float32Array;
  backend.disposeData(out.dataId);
  return values;
}

/**
 * Tests that a reduction kernel takes its own path over trailing axes and over every axis (one
 * row), never the stock one-float-at-a-time kernel: the values tests pass on either path.
 * `axisAttr` is the kernel's name for its axes (`axis`, or Max's `reductionIndices`).
 */
export function expectTrailingAxesWithoutStock(
  config: WasmKernelPatch,
  reduce: (x: tf.Tensor, axis?: number | number[]) => tf.Tensor,
  axisAttr: 'axis' | 'reductionIndices',
): void {
  for (const axis of [2, [1, 2], null]) {
    it(`[5, 6, 7] over ${JSON.stringify(axis)}`, async () => {
      await tf.setBackend('wasm');
      const x = tf.add(tf.randomNormal([5, 6, 7], 0, 1, 'float32', 4), 0.5);
      const got = runWithoutStock(config, x, { [axisAttr]: axis, keepDims: false });
      const want = reduce(x, axis ?? undefined).dataSync();
      expect(Array.from(got).every((v, i) => Math.abs(v - want[i]) <= 1e-5 * Math.abs(want[i]) + 1e-6)).toBe(true);
      x.dispose();
    });
  }
}
