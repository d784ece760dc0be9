import type { TensorInfo } from '../core/kernel-call.js';

// The stock wasm Identity copies the whole buffer. The engine calls Identity (engine.clone) for
// every tensor a kernel saves for its gradient, so a training step copied most of its
// activations once more, and a B = 2048 contrastive loss spent about as long in those copies as
// in its matmuls. tfjs tensors are immutable, so the output can share the input's buffer under a
// reference count: what the cpu backend's Identity and wasm's own Reshape already do.

interface RefCountingBackend {
  incRef(dataId: object): void;
}

/** Identity that shares `x`'s buffer, or `null` for strings (left to the stock kernel). */
export function shareBuffer(backend: object, x: TensorInfo): TensorInfo | null {
  if (x.dtype === 'string') return null;
  (backend as unknown as RefCountingBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}
