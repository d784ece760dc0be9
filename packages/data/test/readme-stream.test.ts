import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runReadmeExample } from '@xclr/vitest-config/readme';
import { beforeAll, expect, it } from 'vitest';
import { loadMnistFamily } from '../src/index.js';

// The block writes a small synthetic set from Fashion-MNIST, decoded on first use (minutes on an
// empty cache and a loaded 2-core machine): warm the cache first, with generous limits for both.
const IO_HEAVY = 300_000;

beforeAll(() => {
  for (const split of ['train', 'test'] as const) loadMnistFamily('fashion-mnist', { split });
}, IO_HEAVY);

// As readme-open-dataset.test.ts: the "Streaming captioned data" section alone, in a file of its own.
it(
  'the README "Streaming captioned data" block runs',
  async () => {
    const readme = fs.readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
    const section = readme.split('\n## Streaming captioned data at its real size\n')[1]?.split('\n## ')[0];
    expect(section).toContain('```js');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-readme-')), 'README.md');
    fs.writeFileSync(file, section!);
    const logged = await runReadmeExample(file, fileURLToPath(new URL('.', import.meta.url)));
    expect(logged[0]).toBe('300 9');
    expect(logged.slice(1, 3).map((l) => l.replace(/ a .*/, ''))).toEqual(['7 32×64×64×3', '8 32×64×64×3']);
    expect(logged[1]).toMatch(/ a \w+ [\w -]+ on a \w+ background$/);
    expect(logged.at(-1)).toBe('64 0');
  },
  IO_HEAVY,
);
