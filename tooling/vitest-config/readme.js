// Runs a package README's first ```js block, so the documented usage is proven to work. The block
// is written next to the test file and imported through Vite, so `@xclr/*` imports resolve to src.
import fs from 'node:fs';
import path from 'node:path';

/**
 * @param {string} readmePath absolute path of the README
 * @param {string} testDir directory to write the snippet in (inside the package)
 * @returns {Promise<string[]>} what the snippet logged
 */
export async function runReadmeExample(readmePath, testDir) {
  const text = fs.readFileSync(readmePath, 'utf8');
  const match = text.match(/```js\n([\s\S]*?)```/);
  if (!match) throw new Error(`${readmePath}: no \`\`\`js usage block`);
  const file = path.join(testDir, `.readme-example-${process.pid}.mjs`);
  fs.writeFileSync(file, match[1]);
  const logged = [];
  const log = console.log;
  console.log = (...args) => logged.push(args.map(String).join(' '));
  try {
    await import(/* @vite-ignore */ `${file}?t=${Date.now()}`);
  } finally {
    console.log = log;
    fs.rmSync(file, { force: true });
  }
  return logged;
}
