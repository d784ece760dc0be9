import type * as tf from '@tensorflow/tfjs-core';
import { asHeapBackend, type HeapBackend } from '../core/heap.js';
import { KernelCall, type TensorInfo } from '../core/kernel-call.js';

/** The stock wasm kernels a patch replaced, by name (a kernel may call the one it wraps). */
export type StockKernels = ReadonlyMap<string, tf.KernelFunc>;

/**
 * One training kernel for tfjs's wasm backend, as tfjs-backend-wasm's own kernels export a
 * KernelConfig: `kernelFunc` builds the function from the stock kernels it replaces or falls
 * back on (the stock kernel's setupFunc is kept).
 */
export interface WasmKernelPatch {
  kernelName: string;
  kernelFunc: (stock: StockKernels) => tf.KernelFunc;
}

type Inputs = Record<string, TensorInfo>;

function stockOrThrow(stock: StockKernels, name: string, why: string): tf.KernelFunc {
  const fn = stock.get(name);
  if (fn == null) throw new Error(`@xclr/kernels: wasm ${name} ${why}`);
  return fn;
}

/**
 * A kernel composed from other wasm kernels through a KernelCall (which frees its temporaries);
 * where `build` returns null, the stock kernel runs.
 */
export function composedKernel(
  kernelName: string,
  build: (call: KernelCall, inputs: Inputs, attrs: tf.NamedAttrMap) => TensorInfo | null,
): WasmKernelPatch {
  return {
    kernelName,
    kernelFunc:
      (stock) =>
      ({ inputs, backend, attrs }) => {
        const call = new KernelCall(backend as tf.KernelBackend, stock, kernelName);
        try {
          const out = build(call, inputs as Inputs, attrs ?? {});
          if (out != null) return out;
          stockOrThrow(stock, kernelName, 'supports only NHWC with padding inside the filter');
          return call.final(kernelName, inputs as Inputs, attrs);
        } finally {
          call.release();
        }
      },
  };
}

/** A kernel written on the wasm heap in JavaScript; where `impl` declines (null) the stock one runs. */
export function heapKernel(
  kernelName: string,
  impl: (backend: HeapBackend, inputs: Inputs, attrs: tf.NamedAttrMap) => TensorInfo | TensorInfo[] | null,
): WasmKernelPatch {
  return {
    kernelName,
    kernelFunc: (stock) => (args) =>
      impl(asHeapBackend(args.backend), args.inputs as Inputs, args.attrs ?? {}) ??
      stockOrThrow(stock, kernelName, 'has no stock kernel for these inputs')(args),
  };
}

/**
 * A kernel this package adds (no stock kernel to fall back on), written on the wasm heap:
 * `impl` gets `scratch(shape)` for float32 scratch tensors, freed when the call ends; where it
 * declines (null), the error reads `@xclr/kernels: <kernelName> <needs(inputs, attrs)>`, which
 * names the inputs and what the kernel takes.
 */
export function addedHeapKernel(
  kernelName: string,
  impl: (
    backend: HeapBackend,
    inputs: Inputs,
    attrs: tf.NamedAttrMap,
    scratch: (shape: number[]) => TensorInfo,
  ) => TensorInfo | TensorInfo[] | null,
  needs: (inputs: Inputs, attrs: tf.NamedAttrMap) => string,
): WasmKernelPatch {
  return {
    kernelName,
    kernelFunc:
      () =>
      ({ inputs, backend, attrs }) => {
        const heap = asHeapBackend(backend);
        const call = new KernelCall(backend as tf.KernelBackend, new Map(), kernelName);
        try {
          const out = impl(heap, inputs as Inputs, attrs ?? {}, (shape) => call.track(heap.makeOutput(shape, 'float32')));
          if (out == null) throw new Error(`@xclr/kernels: ${kernelName} ${needs(inputs as Inputs, attrs ?? {})}`);
          return out;
        } finally {
          call.release();
        }
      },
  };
}
