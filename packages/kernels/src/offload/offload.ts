import type * as tf from '@tensorflow/tfjs-core';
import type { HeapBackend } from '../core/heap.js';
import type { Attrs, KernelCall, TensorInfo } from '../core/kernel-call.js';
import type { ConvGeometry } from '../core/phase-grid.js';

/**
 * A native engine the wasm kernels hand their largest products to. Each method returns null where
 * it does not apply or would not pay off, and the kernel then computes the result itself. The
 * kernels know only this interface; `native/` implements it on onnxruntime-node and installs it.
 */
export interface NativeOffload {
  /** Names the engine, e.g. `onnxruntime-node 1.30.0`. */
  readonly name: string;
  /** `a · b` of BatchMatMul / _FusedMatMul (attrs: transposeA, transposeB, activation), plus `bias`. */
  matMul(call: KernelCall, a: TensorInfo, b: TensorInfo, bias: TensorInfo | null, attrs: Attrs): TensorInfo | null;
  /** An NHWC Conv2D / FusedConv2D (bias, relu). */
  conv2d(
    backend: HeapBackend,
    x: TensorInfo,
    filter: TensorInfo,
    bias: TensorInfo | null,
    attrs: tf.NamedAttrMap,
  ): TensorInfo | null;
  /** Conv2DBackpropInput of an NHWC convolution of geometry `g` whose input has `inputShape`. */
  inputGradient(backend: HeapBackend, dy: TensorInfo, filter: TensorInfo, g: ConvGeometry, inputShape: number[]): TensorInfo | null;
  /** Conv2DBackpropFilter of an NHWC convolution of geometry `g`. */
  filterGradient(backend: HeapBackend, x: TensorInfo, dy: TensorInfo, g: ConvGeometry): TensorInfo | null;
  /** Frees the engine's sessions and buffers. */
  dispose(): void;
}

let active: NativeOffload | null = null;

/** Installs `offload` (null: everything on XNNPACK); returns the one it replaces, for the caller to dispose. */
export function setNativeOffload(offload: NativeOffload | null): NativeOffload | null {
  const previous = active;
  active = offload;
  return previous;
}

/** The installed native engine, or null. */
export function nativeOffload(): NativeOffload | null {
  return active;
}
