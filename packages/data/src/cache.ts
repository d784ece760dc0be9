import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where decoded datasets are cached: $XCLR_CACHE_DIR, else $XDG_CACHE_HOME/xclr, else ~/.cache/xclr. */
export function defaultCacheDir(): string {
  if (process.env.XCLR_CACHE_DIR) return process.env.XCLR_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'xclr');
}

/** Writes `data` to `file` atomically: a temp file in the same directory, then a rename. */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

const MAGIC = 'XCLRDS01';

/** Meta stored with cached arrays; must be JSON. */
export type CacheMeta = Record<string, unknown>;

/**
 * A binary cache of named byte arrays plus JSON metadata: `MAGIC | u32 header length | header JSON
 * | arrays`. Reading it back is one file read and a few subarray views.
 */
export function writeArrayCache(file: string, meta: CacheMeta, arrays: Record<string, Uint8Array>): void {
  const layout: Record<string, [number, number]> = {};
  let offset = 0;
  for (const [name, a] of Object.entries(arrays)) {
    layout[name] = [offset, a.byteLength];
    offset += a.byteLength;
  }
  const header = Buffer.from(JSON.stringify({ meta, layout }));
  const out = Buffer.alloc(MAGIC.length + 4 + header.length + offset);
  out.write(MAGIC, 0, 'ascii');
  out.writeUInt32LE(header.length, MAGIC.length);
  header.copy(out, MAGIC.length + 4);
  const base = MAGIC.length + 4 + header.length;
  for (const [name, a] of Object.entries(arrays))
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), base + layout[name][0]);
  writeFileAtomic(file, out);
}

export function readArrayCache(file: string): { meta: CacheMeta; arrays: Record<string, Uint8Array> } | null {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return null;
  }
  if (buf.length < MAGIC.length + 4 || buf.toString('ascii', 0, MAGIC.length) !== MAGIC) return null;
  const headerLength = buf.readUInt32LE(MAGIC.length);
  let header: { meta: CacheMeta; layout: Record<string, [number, number]> };
  try {
    header = JSON.parse(buf.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + headerLength));
  } catch {
    return null; // a corrupt header: treat as a miss and rebuild
  }
  const { meta, layout } = header;
  const base = MAGIC.length + 4 + headerLength;
  const arrays: Record<string, Uint8Array> = {};
  for (const [name, [offset, length]] of Object.entries(layout)) {
    if (base + offset + length > buf.length) return null; // truncated: treat as a miss and rebuild
    arrays[name] = new Uint8Array(buf.buffer, buf.byteOffset + base + offset, length);
  }
  return { meta, arrays };
}

/** A short stable key for cache file names. */
export function cacheKey(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/**
 * The identity of a cache's source files: path, size and mtime of each, or null when one is
 * missing. Size + mtime, as make and rsync judge change: one stat per file, where a content hash
 * would read every byte the cache exists to skip; a truncated or replaced file changes it.
 */
export function filesIdentity(files: (string | null)[]): [string, number, number][] | null {
  const out: [string, number, number][] = [];
  for (const file of files) {
    const stat = file ? fs.statSync(file, { throwIfNoEntry: false }) : undefined;
    if (!file || !stat?.isFile()) return null;
    out.push([path.resolve(file), stat.size, stat.mtimeMs]);
  }
  return out;
}
