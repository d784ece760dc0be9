import fs from 'node:fs';

// Minimal ustar reading and writing: what WebDataset shards (as img2dataset writes them) need.

const BLOCK = 512;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** One tar entry: a 512-byte header, the data, padding to a 512-byte boundary. */
export function tarEntry(name: string, data: Uint8Array, mtime = 0): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name longer than 100 bytes: ${name}`);
  const header = Buffer.alloc(BLOCK);
  header.write(name, 0, 100, 'utf8');
  header.write(octal(0o644, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii');
  header.write(octal(0, 8), 116, 'ascii');
  header.write(octal(data.length, 12), 124, 'ascii');
  header.write(octal(mtime, 12), 136, 'ascii');
  header.write('        ', 148, 'ascii'); // checksum field counts as spaces
  header.write('0', 156, 'ascii');
  header.write('ustar\u000000', 257, 'binary');
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  const padding = Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK);
  return Buffer.concat([header, Buffer.from(data), padding]);
}

/** The two zero blocks that end a tar archive. */
export const TAR_END = Buffer.alloc(2 * BLOCK);

export interface TarFile {
  name: string;
  data: Buffer;
}

/**
 * A tar archive that ends inside an entry: inside its 512-byte header, or before its data is
 * complete. `entry` is the entry's name where the header got that far, else null.
 */
export class TruncatedTarError extends Error {
  constructor(
    readonly file: string,
    readonly entry: string | null,
    readonly part: 'header' | 'data',
    readonly have: number,
    readonly need: number,
  ) {
    const what = part === 'header' ? `the header of ${entry ?? 'an entry'}` : (entry ?? 'an entry');
    const detail = `the file ends inside ${what}, ${have} of ${need} bytes`;
    super(`${file}: truncated tar archive: ${detail}`);
    this.name = 'TruncatedTarError';
    this.detail = detail;
  }

  /** What is cut, without the file name: `the file ends inside KEY.png, 1000 of 2000 bytes`. */
  readonly detail: string;
}

/** The name in a tar header, or null when the bytes present end inside it. */
function headerName(header: Buffer): string | null {
  const nul = header.subarray(0, 100).indexOf(0);
  if (nul < 0 && header.length < 100) return null;
  const name = header.toString('utf8', 0, nul < 0 ? 100 : nul);
  const prefix = header.length >= 500 ? header.toString('utf8', 345, 500).replace(/\0.*$/s, '') : '';
  return prefix ? `${prefix}/${name}` : name || null;
}

/**
 * Streams the files of a tar archive without unpacking it to disk. An archive that ends inside an
 * entry (a partial header, or data short of the size its header gives) ends the stream with a
 * `TruncatedTarError` naming the file and the entry, after the complete entries before it; missing
 * end-of-archive blocks are fine, as in other tar readers.
 */
export async function* readTar(file: string): AsyncGenerator<TarFile> {
  let pending: Buffer = Buffer.alloc(0);
  let current: { name: string; size: number; padded: number } | null = null;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
    pending = pending.length ? Buffer.concat([pending, chunk as Buffer]) : (chunk as Buffer);
    for (;;) {
      if (!current) {
        if (pending.length < BLOCK) break;
        const header = pending.subarray(0, BLOCK);
        pending = pending.subarray(BLOCK);
        if (header.every((b) => b === 0)) continue; // end-of-archive blocks
        const name = headerName(header) ?? '';
        const size = Number.parseInt(header.toString('ascii', 124, 136).replace(/\0.*$/s, '').trim() || '0', 8);
        const type = String.fromCharCode(header[156] || 48);
        // Directories, links and pax headers carry no file data we use: their payload is skipped.
        current = { name: type === '0' || type === '\0' ? name : '', size, padded: Math.ceil(size / BLOCK) * BLOCK };
      }
      if (pending.length < current.padded) break;
      const data = Buffer.from(pending.subarray(0, current.size));
      pending = pending.subarray(current.padded);
      if (current.name) yield { name: current.name, data };
      current = null;
    }
  }
  if (current) {
    // The last entry's padding may be missing: its data is complete without it.
    if (pending.length < current.size)
      throw new TruncatedTarError(file, current.name || null, 'data', pending.length, current.size);
    if (current.name) yield { name: current.name, data: Buffer.from(pending.subarray(0, current.size)) };
    return;
  }
  // A partial block: a cut header, unless it is all zeros (a partial end-of-archive block).
  if (pending.length && !pending.every((b) => b === 0)) {
    throw new TruncatedTarError(file, headerName(pending), 'header', pending.length, BLOCK);
  }
}

/** Where one file of a tar archive lies: its name and its data's offset and size in bytes. */
export interface TarEntryInfo {
  name: string;
  offset: number;
  size: number;
}

const WINDOW = 64 * 1024;

/**
 * Random access to a tar archive: `entries()` walks its headers without reading the data of the
 * entries in between (small entries come with the 64 KiB window each read fills, large ones are
 * seeked over), and `read(offset, size)` reads one entry's data. What the streaming readers use to
 * replay a shard without touching its images.
 */
export class TarFileReader {
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;

  private constructor(
    readonly file: string,
    private readonly handle: fs.promises.FileHandle,
    /** The archive's size in bytes. */
    readonly bytes: number,
  ) {}

  static async open(file: string): Promise<TarFileReader> {
    const handle = await fs.promises.open(file, 'r');
    try {
      return new TarFileReader(file, handle, (await handle.stat()).size);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** `length` bytes at `offset` (fewer only past the end of the file). */
  async read(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(offset + length, this.bytes);
    if (offset >= this.windowStart && end <= this.windowStart + this.window.length) {
      return Buffer.from(this.window.subarray(offset - this.windowStart, end - this.windowStart));
    }
    if (end - offset >= WINDOW) return readAt(this.handle, offset, end - offset);
    this.window = await readAt(this.handle, offset, Math.min(WINDOW, this.bytes - offset));
    this.windowStart = offset;
    return Buffer.from(this.window.subarray(0, end - offset));
  }

  /**
   * The regular files of the archive, in order, as `readTar` yields them, but without their data.
   * An archive that ends inside an entry ends the walk with a `TruncatedTarError`, as in `readTar`.
   */
  async *entries(): AsyncGenerator<TarEntryInfo> {
    let pos = 0;
    while (pos < this.bytes) {
      if (this.bytes - pos < BLOCK) {
        const rest = await this.read(pos, BLOCK);
        if (rest.every((b) => b === 0)) return; // a partial end-of-archive block
        throw new TruncatedTarError(this.file, headerName(rest), 'header', rest.length, BLOCK);
      }
      const header = await this.read(pos, BLOCK);
      pos += BLOCK;
      if (header.every((b) => b === 0)) continue; // end-of-archive blocks
      const name = headerName(header) ?? '';
      const size = Number.parseInt(header.toString('ascii', 124, 136).replace(/\0.*$/s, '').trim() || '0', 8);
      const type = String.fromCharCode(header[156] || 48);
      const regular = type === '0' || type === '\0';
      // The last entry's padding may be missing: its data is complete without it.
      if (pos + size > this.bytes)
        throw new TruncatedTarError(this.file, (regular && name) || null, 'data', this.bytes - pos, size);
      if (regular && name) yield { name, offset: pos, size };
      pos += Math.ceil(size / BLOCK) * BLOCK;
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Exactly `length` bytes at `offset` of an open file (the caller keeps within its size). */
export async function readAt(handle: fs.promises.FileHandle, offset: number, length: number): Promise<Buffer> {
  const out = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(out, done, length - done, offset + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? out : out.subarray(0, done);
}
