import { wasmApi } from './webassembly.js';

/** The Emscripten module of tfjs-backend-wasm, as far as its allocator goes. */
export interface WasmAllocator {
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  HEAPU8: Uint8Array;
  /** The module's exports (Emscripten's `Module.asm`), where `_malloc` and `_free` resolve to. */
  asm?: { malloc?: (bytes: number) => number; free?: (pointer: number) => void };
}

const GUARDED = Symbol.for('@xclr/kernels heap guard');
const GIB = 2 ** 30;

/** The error every allocation throws once tfjs-backend-wasm's allocator has failed. */
export class WasmHeapExhausted extends Error {
  /** Whether the allocator still works (it returned null), or failed for good (it trapped). */
  readonly recoverable: boolean;

  constructor(bytes: number, heapBytes: number, trap: unknown) {
    const recoverable = trap == null;
    super(
      `@xclr/kernels: the wasm backend could not allocate ${(bytes / 2 ** 20).toFixed(1)} MiB with its heap at ` +
        `${(heapBytes / GIB).toFixed(2)} GiB (a WebAssembly heap holds at most 4 GiB). ` +
        (recoverable
          ? 'Free tensors, or '
          : "tfjs-backend-wasm's allocator failed and does not recover: restart the process and ") +
        'train on fewer images per pass (a smaller batch, or chunkedEmbeddingStep with a smaller chunkSize).',
      recoverable ? undefined : { cause: trap },
    );
    this.name = 'WasmHeapExhausted';
    this.recoverable = recoverable;
  }
}

/**
 * Makes heap exhaustion on tfjs-backend-wasm a clear error instead of a crash deep inside a kernel
 * or a hang. Its allocator (emmalloc, multithreaded) traps with "memory access out of bounds"
 * when it needs more heap than the 4 GiB a wasm32 memory can hold, with its lock still taken: the
 * next allocation or free (tfjs disposing tensors while the error unwinds) then spins forever.
 * After the first failure, allocations made from JavaScript throw `WasmHeapExhausted` and frees
 * do nothing. A null pointer for a non-empty request (the allocator's clean failure, which tfjs
 * would write through) throws too, and leaves the allocator usable. Idempotent.
 */
export function guardHeapAllocator(wasm: WasmAllocator): void {
  const marked = wasm as unknown as Record<symbol, boolean>;
  if (marked[GUARDED]) return;
  marked[GUARDED] = true;
  // Emscripten's `_malloc` and `_free` start as stubs that replace themselves with the exports on
  // their first call: the exports are taken here, and the stubs' replacement is ignored.
  const malloc = wasm.asm?.malloc ?? wasm._malloc.bind(wasm);
  const free = wasm.asm?.free ?? wasm._free.bind(wasm);
  let failed: WasmHeapExhausted | null = null;
  const guardedMalloc = (bytes: number) => {
    if (failed) throw failed;
    let pointer: number;
    try {
      pointer = malloc(bytes);
    } catch (err) {
      if (!(err instanceof wasmApi.RuntimeError)) throw err;
      failed = new WasmHeapExhausted(bytes, wasm.HEAPU8.length, err);
      throw failed;
    }
    if (pointer === 0 && bytes > 0) throw new WasmHeapExhausted(bytes, wasm.HEAPU8.length, null);
    return pointer;
  };
  const guardedFree = (pointer: number) => {
    if (!failed) free(pointer);
  };
  Object.defineProperty(wasm, '_malloc', { get: () => guardedMalloc, set: () => {}, configurable: true });
  Object.defineProperty(wasm, '_free', { get: () => guardedFree, set: () => {}, configurable: true });
}
