import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { guardHeapAllocator, WasmHeapExhausted, type WasmAllocator } from '../src/index.js';
import { wasmApi } from '../src/core/webassembly.js';
import { useWasmKernels } from './backends.js';

/** An allocator that behaves as `next` says, with Emscripten's self-replacing `_malloc` stub. */
function fakeAllocator(next: () => number) {
  const freed: number[] = [];
  const asm = { malloc: (_bytes: number) => next(), free: (p: number) => void freed.push(p) };
  const module = { HEAPU8: new Uint8Array(64), asm } as unknown as WasmAllocator & Record<string, unknown>;
  module._malloc = function stub(this: unknown, bytes: number) {
    module._malloc = asm.malloc; // what Emscripten's stub does on its first call
    return asm.malloc(bytes);
  };
  module._free = asm.free;
  return { module, freed };
}

describe('guardHeapAllocator', () => {
  it('a null pointer for a non-empty request throws, and the allocator stays usable', () => {
    const results = [0, 48];
    const { module } = fakeAllocator(() => results.shift() as number);
    guardHeapAllocator(module);
    expect(() => module._malloc(3 * 2 ** 20)).toThrow(
      /could not allocate 3\.0 MiB .*Free tensors, or train on fewer images per pass/s,
    );
    expect(module._malloc(16)).toBe(48);
  });

  it('after a trap inside the allocator, every allocation throws the same error and frees do nothing', () => {
    const trap = new wasmApi.RuntimeError('memory access out of bounds' as never);
    const { module, freed } = fakeAllocator(() => {
      throw trap;
    });
    guardHeapAllocator(module);
    guardHeapAllocator(module); // idempotent: one guard
    let first: unknown;
    try {
      module._malloc(256);
    } catch (err) {
      first = err;
    }
    expect(first).toBeInstanceOf(WasmHeapExhausted);
    expect((first as Error).cause).toBe(trap);
    expect((first as WasmHeapExhausted).recoverable).toBe(false);
    expect((first as Error).message).toMatch(/restart the process/);
    expect(() => module._malloc(8)).toThrow(first as Error);
    module._free(1024); // the allocator's lock may still be held: a free would spin forever
    expect(freed).toEqual([]);
  });

  it('passes other errors through and cannot be replaced by the stub', () => {
    const { module } = fakeAllocator(() => {
      throw new TypeError('not a trap');
    });
    guardHeapAllocator(module);
    expect(() => module._malloc(8)).toThrow(TypeError);
    module._malloc = () => 7; // Emscripten's stub assigns the raw export: ignored
    expect(() => module._malloc(8)).toThrow(TypeError);
  });

  it('on the wasm backend: allocating past the 4 GiB heap throws WasmHeapExhausted, and smaller work goes on', async () => {
    await useWasmKernels();
    const backend = tf.backend() as unknown as {
      makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
      disposeData(dataId: object): boolean;
    };
    // Outputs allocate without writing, so the test touches little memory.
    const made: tf.TensorInfo[] = [];
    let error: unknown = null;
    try {
      for (let i = 0; i < 20; i++) made.push(backend.makeOutput([64 * 2 ** 20], 'float32'));
    } catch (err) {
      error = err;
    }
    for (const t of made) backend.disposeData(t.dataId);
    expect(error).toBeInstanceOf(WasmHeapExhausted);
    expect((error as WasmHeapExhausted).recoverable).toBe(true);
    expect(made.length).toBeGreaterThanOrEqual(12);
    const x = tf.tensor1d([1, 2, 3]);
    expect(Array.from(tf.mul(x, 2).dataSync())).toEqual([2, 4, 6]);
  });
});
