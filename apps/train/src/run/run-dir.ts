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

/** Line-per-record metrics log. On resume, records after the checkpoint's step are dropped. */
export class MetricsLog {
  constructor(readonly file: string) {}

  append(record: Record<string, unknown>): void {
    fs.appendFileSync(this.file, `${JSON.stringify(record)}\n`);
  }

  read(): Record<string, unknown>[] {
    if (!fs.existsSync(this.file)) return [];
    return fs
      .readFileSync(this.file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  }

  truncateAfter(step: number): void {
    const kept = this.read().filter((r) => (r.step as number) <= step);
    writeFileAtomic(this.file, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
}
