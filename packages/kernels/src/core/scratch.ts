/**
 * Named grow-only buffers, reused across kernel calls instead of allocated per call (a fresh
 * ArrayBuffer is zero-filled and page-faulted on first touch, which cost as much as the copy it
 * served). Views are valid until the next request for the same name.
 */
export class ScratchBuffers {
  private readonly buffers = new Map<string, ArrayBuffer>();

  /** At least `bytes` bytes under `name`, grown (by a quarter more) when too small. */
  private buffer(name: string, bytes: number): ArrayBuffer {
    let buffer = this.buffers.get(name);
    if (buffer == null || buffer.byteLength < bytes) {
      buffer = new ArrayBuffer(Math.ceil((bytes * 1.25) / 8) * 8);
      this.buffers.set(name, buffer);
    }
    return buffer;
  }

  /** A Float32Array of `length` over buffer `name`. */
  view(name: string, length: number): Float32Array {
    return new Float32Array(this.buffer(name, length * 4), 0, length);
  }

  /** A Float64Array of `length` (holds any float32 or int32 value exactly). */
  doubles(name: string, length: number): Float64Array {
    return new Float64Array(this.buffer(name, length * 8), 0, length);
  }

  /** A Uint8Array of `length`. */
  bytes(name: string, length: number): Uint8Array {
    return new Uint8Array(this.buffer(name, length), 0, length);
  }

  clear(): void {
    this.buffers.clear();
  }
}
