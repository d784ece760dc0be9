import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runReadmeExample } from '@xclr/vitest-config/readme';
import { beforeAll, expect, it } from 'vitest';
import { loadMnistFamily } from '../src/index.js';

// The block generates the synthetic set from Fashion-MNIST, decoded on first use (minutes on an
// empty cache and a loaded 2-core machine): warm the cache first, with generous limits for both.
const IO_HEAVY = 300_000;

beforeAll(() => {
  for (const split of ['train', 'test'] as const) loadMnistFamily('fashion-mnist', { split });
}, IO_HEAVY);

// runReadmeExample runs a file's first ```js block (readme.test.ts runs the README's); this file
// hands it the "Open a dataset" section alone. A file of its own: a second snippet imported in the
// same test process would come from the module cache instead of running.
it(
  'the README "Open a dataset" block runs',
  async () => {
    const readme = fs.readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
    const section = readme.split('\n## Open a dataset\n')[1]?.split('\n## ')[0];
    expect(section).toContain('```js');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-readme-')), 'README.md');
    fs.writeFileSync(file, section!);
    const logged = await runReadmeExample(file, fileURLToPath(new URL('.', import.meta.url)));
    expect(logged[0]).toMatch(/^data: generating the synthetic captioned set into .*synth \(once\)$/);
    expect(logged.at(-1)).toMatch(/^synth\/train 60 \d+ synth\/mixed-rand original,only-fg,mixed-same$/);
  },
  IO_HEAVY,
);
