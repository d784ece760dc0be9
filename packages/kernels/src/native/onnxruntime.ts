import { createRequire } from 'node:module';

// onnxruntime-node runs its sessions through a native binding whose `run` is synchronous; the
// public `InferenceSession.run` wraps it in a Promise (setImmediate). TensorFlow.js kernels must
// return synchronously, so this module drives the binding directly, as onnxruntime-node's own
// backend.js does, and only on the versions it was tested with.

/** onnxruntime-node versions whose binding this module was written against and tested on. */
export const TESTED_ONNXRUNTIME = /^1\.30\./;

interface OrtTensorCtor {
  new (type: 'float32', data: Float32Array, dims: readonly number[]): OrtTensor;
}
export interface OrtTensor {
  data: Float32Array;
  dims: readonly number[];
}
interface BindingSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: Record<string, unknown>): void;
  run(
    feeds: Record<string, OrtTensor>,
    fetches: Record<string, OrtTensor | null>,
    options: Record<string, unknown>,
  ): Record<string, OrtTensor>;
  dispose(): void;
}
interface Binding {
  InferenceSession: new () => BindingSession;
}

export interface NativeRuntime {
  /** onnxruntime-node's version. */
  version: string;
  /** Intra-op threads of every session. */
  threads: number;
  Tensor: OrtTensorCtor;
  /** A session for a serialised ONNX model; `run` is synchronous. */
  session(model: Uint8Array): BindingSession;
}

/**
 * onnxruntime-node's synchronous session API, or the reason it cannot be used. `require` resolves
 * onnxruntime-node's modules (a parameter for tests).
 */
export function loadNativeRuntime(
  threads: number,
  require: (id: string) => unknown = createRequire(import.meta.url),
): { runtime: NativeRuntime | null; reason: string } {
  let version: string;
  try {
    version = (require('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return { runtime: null, reason: 'onnxruntime-node is not installed' };
  }
  if (!TESTED_ONNXRUNTIME.test(version)) {
    return { runtime: null, reason: `onnxruntime-node ${version} is untested (this package drives its binding; tested: 1.30.x)` };
  }
  try {
    const ort = require('onnxruntime-node') as { Tensor: OrtTensorCtor };
    const { binding, initOrt } = require('onnxruntime-node/dist/binding.js') as { binding: Binding; initOrt(): void };
    initOrt();
    const options = {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      // Spinning intra-op threads would take the cores from the wasm backend's own threads
      // between calls.
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    };
    return {
      runtime: {
        version,
        threads,
        Tensor: ort.Tensor,
        session(model) {
          const s = new binding.InferenceSession();
          s.loadModel(model.buffer, model.byteOffset, model.byteLength, options);
          return s;
        },
      },
      reason: `onnxruntime-node ${version}`,
    };
  } catch (err) {
    return { runtime: null, reason: `onnxruntime-node ${version} failed to load: ${(err as Error).message.split('\n')[0]}` };
  }
}
