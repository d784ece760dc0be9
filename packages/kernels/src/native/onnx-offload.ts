import type * as tf from '@tensorflow/tfjs-core';
import type { HeapBackend } from '../core/heap.js';
import type { Attrs, KernelCall, TensorInfo } from '../core/kernel-call.js';
import type { ConvGeometry } from '../core/phase-grid.js';
import type { NativeOffload } from '../offload/offload.js';
import { filterGradientOnNative } from './filter-gradient.js';
import { conv2dOnNative, inputGradientOnNative } from './native-conv2d.js';
import { matMulOnNative } from './native-matmul.js';
import type { NativeSessions } from './native-sessions.js';

/** The wasm kernels' native engine on onnxruntime-node: each route checks its own limits. */
export class OnnxOffload implements NativeOffload {
  constructor(
    readonly sessions: NativeSessions,
    readonly name: string,
  ) {}

  matMul(call: KernelCall, a: TensorInfo, b: TensorInfo, bias: TensorInfo | null, attrs: Attrs): TensorInfo | null {
    return matMulOnNative(this.sessions, call, a, b, bias, attrs);
  }

  conv2d(
    backend: HeapBackend,
    x: TensorInfo,
    filter: TensorInfo,
    bias: TensorInfo | null,
    attrs: tf.NamedAttrMap,
  ): TensorInfo | null {
    return conv2dOnNative(this.sessions, backend, x, filter, bias, attrs);
  }

  inputGradient(backend: HeapBackend, dy: TensorInfo, filter: TensorInfo, g: ConvGeometry, inputShape: number[]): TensorInfo | null {
    return inputGradientOnNative(this.sessions, backend, dy, filter, g, inputShape);
  }

  filterGradient(backend: HeapBackend, x: TensorInfo, dy: TensorInfo, g: ConvGeometry): TensorInfo | null {
    return filterGradientOnNative(this.sessions, backend, x, dy, g);
  }

  dispose(): void {
    this.sessions.dispose();
  }
}
