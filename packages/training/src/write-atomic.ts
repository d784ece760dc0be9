import fs from 'node:fs';

/** Writes `file` through a sibling temporary file and a rename: readers see the old or the new content. */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}
