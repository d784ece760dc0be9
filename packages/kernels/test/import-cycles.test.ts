import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The layout rule of this package (each folder imports only the ones before it), as `npm run lint`
// checks it with scripts/check-import-cycles.mjs.
const script = fileURLToPath(new URL('../../../scripts/check-import-cycles.mjs', import.meta.url));
const check = (dir: string) => spawnSync(process.execPath, [script, dir], { encoding: 'utf8' });

describe('import cycles', () => {
  it('there are none between the folders (or files) of src/', () => {
    const r = check(fileURLToPath(new URL('../src', import.meta.url)));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('the check finds a cycle between two folders and names it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-cycles-'));
    fs.mkdirSync(path.join(dir, 'ops'));
    fs.mkdirSync(path.join(dir, 'native'));
    fs.writeFileSync(path.join(dir, 'ops', 'matmul.ts'), "import { run } from '../native/run.js';\nexport const mm = run;\n");
    fs.writeFileSync(path.join(dir, 'native', 'run.ts'), "import type { mm } from '../ops/matmul.js';\nexport const run = 1;\n");
    const r = check(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/folders: (ops\/ → native\/ → ops\/|native\/ → ops\/ → native\/)/);
  });
});
