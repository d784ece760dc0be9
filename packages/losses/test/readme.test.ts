import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runReadmeExample } from '@xclr/vitest-config/readme';
import { expect, it } from 'vitest';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
const testDir = fileURLToPath(new URL('.', import.meta.url));

it('the README usage block runs', async () => {
  const logged = await runReadmeExample(readme, testDir);
  expect(logged.length).toBeGreaterThan(0);
});

it("the README's 'One call shape, a loss by name' block runs every loss by name", async () => {
  // runReadmeExample runs a file's first js block: hand it a file holding only this section, and
  // a directory of its own to write the snippet in (the module loader caches the first one's path).
  const text = fs.readFileSync(readme, 'utf8');
  const section = text.split('\n## One call shape, a loss by name\n')[1]?.split('\n## ')[0];
  expect(section).toMatch(/```js\n/);
  const dir = fs.mkdtempSync(path.join(testDir, '.readme-section-'));
  try {
    const file = path.join(dir, 'README.md');
    fs.writeFileSync(file, section ?? '');
    const logged = await runReadmeExample(file, dir);
    expect(logged.map((line) => line.split(' ')[0])).toEqual([
      'xclr',
      'ntxent',
      'supcon',
      'clip',
      'vicreg',
      'barlow',
      'vicreg-graph',
      'barlow-graph',
    ]);
    for (const line of logged) expect(Number.isFinite(Number(line.split(' ').at(-1)))).toBe(true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
