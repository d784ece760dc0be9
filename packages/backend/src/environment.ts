import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { mallocTuning, TRAINING_MALLOC_TUNABLES } from './malloc-tuning.js';
import { type BackendChoice, describeBackend } from './select.js';

/** The installed version of a package, or `not installed`. */
export function installedVersion(pkg: string): string {
  try {
    const require = createRequire(import.meta.url);
    return JSON.parse(fs.readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')).version;
  } catch {
    return 'not installed';
  }
}

function describeMalloc(): string {
  const m = mallocTuning();
  if (m.libc == null) return 'not glibc, nothing to tune';
  if (m.tuned) return `glibc, GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES}`;
  return `glibc defaults${m.optedOut ? ' (XCLR_MALLOC_TUNING=0)' : ''}; training settings: GLIBC_TUNABLES=${TRAINING_MALLOC_TUNABLES}`;
}

/** What a bug report needs from this package: Node, cores and memory, tfjs versions, the backend chosen and why, malloc. */
export function describeEnvironment(choice: BackendChoice): string[] {
  const tfjs = ['tfjs-backend-wasm', 'tfjs-layers', 'tfjs-node'].map((p) => `${p} ${installedVersion(`@tensorflow/${p}`)}`);
  return [
    `node ${process.version} (${process.platform}-${process.arch})`,
    `cores: ${os.availableParallelism()} (${os.cpus()[0]?.model ?? 'unknown'}), memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `tfjs-core ${tf.version_core}, ${tfjs.join(', ')}`,
    describeBackend(choice),
    `malloc: ${describeMalloc()}`,
  ];
}
