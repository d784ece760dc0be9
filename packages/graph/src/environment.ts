import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { bundledUseLiteDir } from './encoders/use-lite.js';

/** A package's version, also where its `exports` hide package.json: found above its resolved entry. */
function version(pkg: string): string {
  try {
    let dir = path.dirname(createRequire(import.meta.url).resolve(pkg));
    for (; dir !== path.dirname(dir); dir = path.dirname(dir)) {
      const file = path.join(dir, 'package.json');
      if (fs.existsSync(file) && JSON.parse(fs.readFileSync(file, 'utf8')).name === pkg) return JSON.parse(fs.readFileSync(file, 'utf8')).version;
    }
  } catch {}
  return 'not installed';
}

/** For bug reports: whether the bundled sentence encoder's weights are there, and transformers.js's version. */
export function describeTextEncoders(): string[] {
  let useLite: string | null = null;
  try {
    useLite = path.join(bundledUseLiteDir(), 'model.json');
  } catch {}
  return [
    `text encoder use-lite: ${useLite && fs.existsSync(useLite) ? `found (${useLite})` : 'not found'}`,
    `transformers.js: ${version('@huggingface/transformers')}`,
  ];
}
