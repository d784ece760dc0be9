import * as tf from '@tensorflow/tfjs-core';
import { COMPARISONS, type ComparisonName, compareBroadcast } from './compare.js';
import { concatOnHeap } from './concat.js';
import { conv2dBackpropFilter, conv2dBackpropInput } from './conv2d-backprop.js';
import { conv2dOnNative } from '../../native/native-conv2d.js';
import { batchNormPerChannel } from './batch-norm.js';
import { asHeapBackend, type HeapBackend } from './heap.js';
import { shareBuffer } from './identity.js';
import { KernelCall, type TensorInfo } from './kernel-call.js';
import { batchMatMulKernel, fusedMatMulKernel } from './matmul.js';
import { maxPoolGrad } from './max-pool-grad.js';
import { oneHotOnHeap } from './one-hot.js';
import { reduceLeadingAxes } from './reduce-leading.js';
import { reduceTrailingAxes } from './reduce-trailing.js';
import { castInt32ToFloat32 } from './cast.js';
import { RELU_GRAD, reluGradOnHeap } from './relu-grad.js';
import { reverseOnHeap } from './reverse.js';
import { sliceOnHeap, splitOnHeap } from './slice.js';
import { tileOnHeap } from './tile.js';
import { transposeKernel } from './transpose.js';

/** The tfjs versions these kernels were written against and tested on. */
export const TESTED_TFJS = /^4\.22\./;

/** What `patchWasmKernels` changed: kernel name → `replaced` (faster) or `added` (was missing). */
export type KernelPatches = Record<string, 'replaced' | 'added'>;

let patched: KernelPatches | null = null;

function composed(
  original: Map<string, tf.KernelFunc>,
  name: string,
  build: (call: KernelCall, inputs: Record<string, TensorInfo>, attrs: tf.NamedAttrMap) => TensorInfo | null,
): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const call = new KernelCall(backend as tf.KernelBackend, original, name);
    try {
      const out = build(call, inputs as Record<string, TensorInfo>, attrs ?? {});
      if (out != null) return out;
      if (!original.has(name)) {
        throw new Error(`@xclr/backend: wasm ${name} supports only NHWC with padding inside the filter`);
      }
      return call.final(name, inputs as Record<string, TensorInfo>, attrs);
    } finally {
      call.release();
    }
  };
}

/**
 * Replaces the wasm backend's slow training kernels and adds the missing ones. Must run after
 * @tensorflow/tfjs-backend-wasm registered its kernels and before the backend initialises (the
 * engine calls each kernel's setup then). Idempotent. Throws on a tfjs version it was not tested on.
 */
export function patchWasmKernels(): KernelPatches {
  if (patched) return patched;
  if (!TESTED_TFJS.test(tf.version_core)) {
    throw new Error(
      `@xclr/backend: the wasm training kernels were tested with @tensorflow/tfjs-core 4.22.x, found ${tf.version_core}. ` +
        'Pin @tensorflow/tfjs-core and @tensorflow/tfjs-backend-wasm to 4.22, or choose another backend (--backend cpu).',
    );
  }
  const original = new Map<string, tf.KernelFunc>();
  const changes: KernelPatches = {};
  const install = (name: string, make: (orig: Map<string, tf.KernelFunc>) => tf.KernelFunc) => {
    const existing = tf.getKernel(name, 'wasm');
    if (existing) {
      original.set(name, existing.kernelFunc);
      tf.unregisterKernel(name, 'wasm');
    }
    tf.registerKernel({ kernelName: name, backendName: 'wasm', setupFunc: existing?.setupFunc, kernelFunc: make(original) });
    changes[name] = existing ? 'replaced' : 'added';
  };
  install('Transpose', (orig) =>
    composed(orig, 'Transpose', (call, { x }, attrs) => transposeKernel(asHeapBackend(call.backend), x, attrs)),
  );
  install('Identity', (orig) => (args) => {
    const { x } = args.inputs as Record<string, TensorInfo>;
    return shareBuffer(args.backend as tf.KernelBackend, x) ?? (orig.get('Identity') as tf.KernelFunc)(args);
  });
  install('BatchMatMul', batchMatMulKernel);
  install('_FusedMatMul', fusedMatMulKernel);
  // Large many-channel convolutions on onnxruntime when the native engine is set up.
  for (const name of ['Conv2D', 'FusedConv2D']) {
    install(name, (orig) => (args) => {
      const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
      const native =
        preluActivationWeights == null
          ? conv2dOnNative(asHeapBackend(args.backend), x as TensorInfo, filter as TensorInfo, bias ?? null, args.attrs ?? {})
          : null;
      return native ?? (orig.get(name) as tf.KernelFunc)(args);
    });
  }
  install('Conv2DBackpropFilter', (orig) =>
    composed(orig, 'Conv2DBackpropFilter', (call, { x, dy }, attrs) => conv2dBackpropFilter(call, x, dy, attrs)),
  );
  install('Conv2DBackpropInput', (orig) =>
    composed(orig, 'Conv2DBackpropInput', (call, { dy, filter }, attrs) => conv2dBackpropInput(call, dy, filter, attrs)),
  );
  for (const [name, kind] of [
    ['Sum', 'sum'],
    ['Mean', 'mean'],
  ] as const) {
    install(name, (orig) =>
      composed(
        orig,
        name,
        (call, { x }, attrs) =>
          reduceLeadingAxes(call, x, attrs, kind) ?? reduceTrailingAxes(asHeapBackend(call.backend), x, attrs, kind),
      ),
    );
  }
  install('FusedBatchNorm', (orig) =>
    composed(orig, 'FusedBatchNorm', (call, inputs, attrs) => batchNormPerChannel(call, inputs, attrs)),
  );
  install('MaxPoolGrad', (orig) =>
    composed(orig, 'MaxPoolGrad', (call, { dy, input, output }, attrs) =>
      maxPoolGrad(asHeapBackend(call.backend), dy, input, output, attrs),
    ),
  );
  install(RELU_GRAD, () => ({ inputs, backend }) => {
    const { dy, x } = inputs as Record<string, TensorInfo>;
    const out = reluGradOnHeap(asHeapBackend(backend), dy, x);
    if (out == null)
      throw new Error(`@xclr/backend: ${RELU_GRAD} needs float32 dy and x on a wasm heap, got ${dy.dtype} and ${x.dtype}`);
    return out;
  });
  // Kernels written on the heap in JavaScript; where one declines (returns null) the stock one runs.
  const onHeap = (
    name: string,
    impl: (backend: HeapBackend, inputs: Record<string, TensorInfo>, attrs: tf.NamedAttrMap) => TensorInfo | TensorInfo[] | null,
  ) =>
    install(
      name,
      (orig) => (args) =>
        impl(asHeapBackend(args.backend), args.inputs as Record<string, TensorInfo>, args.attrs ?? {}) ??
        (orig.get(name) as tf.KernelFunc)(args),
    );
  onHeap('Slice', (backend, { x }, attrs) => sliceOnHeap(backend, x, attrs));
  onHeap('SplitV', (backend, { x }, attrs) => splitOnHeap(backend, x, attrs));
  onHeap('Concat', (backend, inputs, attrs) => concatOnHeap(backend, inputs as unknown as TensorInfo[], attrs));
  onHeap('Reverse', (backend, { x }, attrs) => reverseOnHeap(backend, x, attrs));
  onHeap('Tile', (backend, { x }, attrs) => tileOnHeap(backend, x, attrs));
  onHeap('OneHot', (backend, { indices }, attrs) => oneHotOnHeap(backend, indices, attrs));
  onHeap('Cast', (backend, { x }, attrs) => castInt32ToFloat32(backend, x, attrs));
  for (const name of Object.keys(COMPARISONS) as ComparisonName[]) {
    onHeap(name, (backend, { a, b }) => compareBroadcast(backend, name, a, b));
  }
  patched = changes;
  return changes;
}
