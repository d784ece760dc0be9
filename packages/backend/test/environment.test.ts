import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { describeEnvironment, installedVersion, useFastestBackend } from '../src/index.js';

describe('describeEnvironment', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('names Node, the cores, the tfjs versions, the chosen backend, the kernel packages, webgpu and the malloc settings', async () => {
    const lines = describeEnvironment(await useFastestBackend({ backend: 'cpu' }));
    expect(lines[0]).toBe(`node ${process.version} (${process.platform}-${process.arch})`);
    expect(lines[1]).toMatch(/^cores: \d+ \(.*\), memory: \d+\.\d GiB$/);
    expect(lines[2]).toBe(
      `tfjs-core ${tf.version_core}, tfjs-backend-wasm ${installedVersion('@tensorflow/tfjs-backend-wasm')}, tfjs-layers ${installedVersion('@tensorflow/tfjs-layers')}, tfjs-node not installed`,
    );
    expect(lines[3]).toMatch(/^backend: cpu/);
    expect(lines[4]).toBe(
      `kernels: @xclr/kernels ${installedVersion('@xclr/kernels')}, onnxruntime-node ${installedVersion('onnxruntime-node')}`,
    );
    expect(lines[5]).toBe(
      `webgpu: webgpu ${installedVersion('webgpu')}, tfjs-backend-webgpu ${installedVersion('@tensorflow/tfjs-backend-webgpu')}; not tried`,
    );
    expect(lines[6]).toMatch(/^malloc: (glibc|not glibc)/);
  });

  it('installedVersion reads the package.json of what is installed', () => {
    expect(installedVersion('@tensorflow/tfjs-core')).toBe(tf.version_core);
    expect(installedVersion('@tensorflow/tfjs-node')).toBe('not installed');
  });
});
