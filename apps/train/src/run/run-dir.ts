import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '@xclr/data';

export function writeJson(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** `runs/<date>-<name>/`, made unique with a suffix when it exists. */
export function createRunDir(root: string, name: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[:]/g, '').replace(/\..*/, '').replace('T', '-');
  let dir = path.join(root, `${stamp}-${name}`);
  for (let k = 2; fs.existsSync(dir); k++) dir = path.join(root, `${stamp}-${name}-${k}`);
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    throw new Error(`cannot create run directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return dir;
}
