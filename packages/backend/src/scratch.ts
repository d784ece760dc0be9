/**
 * Named grow-only float buffers, reused across kernel calls instead of allocated per call (a fresh
 * ArrayBuffer is zero-filled and page-faulted on first touch, which cost as much as the copy it
 * served). Views are valid until the next `view` of the same name.
 */
export class ScratchBuffers {
  private readonly buffers = new Map<string, ArrayBuffer>();

  /** A Float32Array of `length` over buffer `name`, grown (by a quarter more) when too small. */
  view(name: string, length: number): Float32Array {
    let buffer = this.buffers.get(name);
    if (buffer == null || buffer.byteLength < length * 4) {
      buffer = new ArrayBuffer(Math.ceil(length * 1.25) * 4);
      this.buffers.set(name, buffer);
    }
    return new Float32Array(buffer, 0, length);
  }

  clear(): void {
    this.buffers.clear();
  }
}
