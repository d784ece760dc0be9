import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { mallocTuning, TRAINING_MALLOC_TUNABLES } from '@xclr/process';
import { type BackendChoice, describeBackend } from './select.js';
import { describeAdapter } from './webgpu/setup.js';

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

/** The webgpu packages, the adapter Dawn found and whether it is in use (why not is in the backend line). */
function describeWebGpu(choice: BackendChoice): string {
  const versions = ['webgpu', '@tensorflow/tfjs-backend-webgpu'].map(
    (p) => `${p.replace('@tensorflow/', '')} ${installedVersion(p)}`,
  );
  const skipped = choice.skipped.find((s) => s.backend === 'webgpu');
  const state = choice.adapter
    ? `adapter ${describeAdapter(choice.adapter)} (${choice.backend === 'webgpu' ? 'in use' : 'not used'})`
    : choice.backend === 'webgpu'
      ? 'in use'
      : skipped
        ? `not used: ${skipped.reason}`
        : 'not tried';
  return `webgpu: ${versions.join(', ')}; ${state}`;
}

/** What a bug report needs from this package: Node, cores and memory, tfjs versions, the backend chosen and why, the WebGPU adapter, malloc. */
export function describeEnvironment(choice: BackendChoice): string[] {
  const tfjs = ['tfjs-backend-wasm', 'tfjs-layers', 'tfjs-node'].map((p) => `${p} ${installedVersion(`@tensorflow/${p}`)}`);
  return [
    `node ${process.version} (${process.platform}-${process.arch})`,
    `cores: ${os.availableParallelism()} (${os.cpus()[0]?.model ?? 'unknown'}), memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `tfjs-core ${tf.version_core}, ${tfjs.join(', ')}`,
    describeBackend(choice),
    `kernels: @xclr/kernels ${installedVersion('@xclr/kernels')}, onnxruntime-node ${installedVersion('onnxruntime-node')}`,
    describeWebGpu(choice),
    `malloc: ${describeMalloc()}`,
  ];
}
