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

it('every later README js block runs too (the evaluation protocol)', async () => {
  // runReadmeExample runs only the first ```js block (and Vite caches its module by path), so each
  // later block is written to a file of its own and imported the same way.
  const blocks = [...fs.readFileSync(readme, 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].slice(1).map((m) => m[1]);
  expect(blocks.length).toBeGreaterThan(0);
  for (const [i, code] of blocks.entries()) {
    const file = path.join(testDir, `.readme-block-${i + 2}-${process.pid}.mjs`);
    fs.writeFileSync(file, code);
    const logged: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => logged.push(args.map(String).join(' '));
    try {
      await import(/* @vite-ignore */ file);
    } finally {
      console.log = log;
      fs.rmSync(file, { force: true });
    }
    expect(logged.length, `block ${i + 2}`).toBeGreaterThan(0);
    for (const line of logged) expect(line, `block ${i + 2}`).not.toMatch(/NaN|undefined/);
  }
});
