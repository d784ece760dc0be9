// The WebAssembly JavaScript API as this package uses it. TypeScript declares it in the DOM
// library only, which a Node package does not load.

/** A WebAssembly.Memory. */
export type WasmMemory = { readonly buffer: ArrayBufferLike };

interface WebAssemblyApi {
  Memory: abstract new (...args: never[]) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
  /** What a trap (an out-of-bounds access, `unreachable`) throws. */
  RuntimeError: new (...args: never[]) => Error;
}

export const wasmApi = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
