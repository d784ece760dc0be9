import { gunzipSync } from 'node:zlib';

/** A parsed IDX array (the MNIST file format): unsigned bytes with their dimensions. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

/**
 * Parses an IDX file (gzipped or raw). Only the unsigned-byte type MNIST uses is accepted.
 * `file` names the source in errors.
 */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipOrThrow(bytes, file) : bytes;
  if (raw.length < 4 || raw[0] !== 0 || raw[1] !== 0) {
    throw new Error(`${file}: not an IDX file (expected magic 0x0000TTDD, got ${hex(raw.subarray(0, 4))})`);
  }
  if (raw[2] !== UBYTE) throw new Error(`${file}: IDX type 0x${raw[2].toString(16)} is not unsigned byte (0x08)`);
  const rank = raw[3];
  const headerBytes = 4 + 4 * rank;
  if (rank < 1 || raw.length < headerBytes) throw new Error(`${file}: truncated IDX header (rank ${rank}, ${raw.length} bytes)`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = raw.length - headerBytes;
  if (actual < expected) {
    throw new Error(`${file}: truncated IDX data: the header says [${dims.join(', ')}] = ${expected} bytes, the file has ${actual}`);
  }
  // A plain Uint8Array view (fs gives Buffers), so datasets hold one array type.
  return { dims, data: new Uint8Array(raw.buffer, raw.byteOffset + headerBytes, expected) };
}

function gunzipOrThrow(bytes: Uint8Array, file: string): Uint8Array {
  try {
    return gunzipSync(bytes);
  } catch (err) {
    throw new Error(`${file}: corrupt or truncated gzip data (${(err as Error).message})`);
  }
}

function hex(b: Uint8Array): string {
  return `0x${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`;
}

/** Encodes bytes as an IDX file (unsigned byte type); used for tests and caches. */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = UBYTE;
  out[3] = dims.length;
  dims.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d, false);
  });
  out.set(data, 4 + 4 * dims.length);
  return out;
}
