import { describe, expect, it } from 'vitest';
import { adapterName, describeAdapter, isSoftwareAdapter, type WebGpuAdapter } from '../src/index.js';
import { vulkanLoaderFound } from '../src/webgpu/setup.js';

// What needs no adapter: telling software adapters from GPUs, the lines `xclr env` prints, and
// the Vulkan loader check. The adapter itself is tested by `npm run test:webgpu` (webgpu.webgpu.test.ts).

const info = (o: Partial<WebGpuAdapter> & { isFallbackAdapter?: boolean }) => ({
  vendor: '',
  architecture: '',
  device: '',
  description: '',
  ...o,
});

describe('isSoftwareAdapter', () => {
  it.each([
    [
      'Mesa llvmpipe through Dawn OpenGL ES',
      info({ device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'OpenGL ES 3.2 Mesa 22.3.6' }),
    ],
    [
      'Mesa lavapipe through Dawn Vulkan',
      info({ vendor: 'mesa', architecture: 'software', device: 'llvmpipe (LLVM 19.1.7, 256 bits)' }),
    ],
    ['SwiftShader', info({ vendor: 'google', device: 'SwiftShader Device (Subzero)' })],
    ['a fallback adapter', info({ vendor: 'x', isFallbackAdapter: true })],
  ])('%s is software', (_, a) => {
    expect(isSoftwareAdapter(a)).toBe(true);
  });

  it.each([
    ['an NVIDIA GPU on Vulkan', info({ vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H100 80GB HBM3' })],
    ['an AMD GPU on Mesa RADV', info({ vendor: 'amd', architecture: 'rdna-3', description: 'radv Mesa 25.0.7' })],
    ['an Intel GPU on Mesa GL', info({ vendor: 'intel', architecture: 'gen-12lp', description: 'OpenGL ES 3.2 Mesa 22.3.6' })],
  ])('%s is hardware', (_, a) => {
    expect(isSoftwareAdapter(a)).toBe(false);
  });
});

describe('describeAdapter', () => {
  const adapter: WebGpuAdapter = {
    ...info({ device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'OpenGL ES 3.2 Mesa 22.3.6' }),
    software: true,
    dawnOptions: ['backend=opengles'],
    featureLevel: 'compatibility',
    limits: {
      maxBufferSize: 2 ** 31,
      maxStorageBufferBindingSize: 2 ** 27,
      maxComputeWorkgroupStorageSize: 32768,
      maxComputeInvocationsPerWorkgroup: 1024,
    },
  };

  it('names the adapter, software or hardware, and the Dawn route; the long form adds the limits', () => {
    expect(adapterName(adapter)).toBe('llvmpipe-llvm-15-0-6-256-bits-, software, Dawn backend=opengles');
    expect(adapterName({ ...adapter, vendor: 'nvidia', software: false, dawnOptions: [] })).toBe(
      "nvidia llvmpipe-llvm-15-0-6-256-bits-, hardware, Dawn's default backend",
    );
    expect(describeAdapter(adapter)).toBe(
      'llvmpipe-llvm-15-0-6-256-bits-, software, Dawn backend=opengles, "OpenGL ES 3.2 Mesa 22.3.6", compatibility feature level, ' +
        'maxBufferSize 2048 MiB, maxStorageBufferBindingSize 128 MiB, maxComputeWorkgroupStorageSize 32 KiB, ' +
        'maxComputeInvocationsPerWorkgroup 1024',
    );
  });
});

describe('vulkanLoaderFound', () => {
  it('looks in the loader cache and LD_LIBRARY_PATH; without a cache it lets Dawn look', () => {
    const cache = (text: string) => () => text;
    expect(vulkanLoaderFound({}, cache('\0libvulkan.so.1\0/usr/lib/x86_64-linux-gnu/libvulkan.so.1\0'))).toBe(true);
    expect(vulkanLoaderFound({}, cache('\0libEGL.so.1\0'))).toBe(false);
    expect(vulkanLoaderFound({ LD_LIBRARY_PATH: '/nonexistent' }, cache(''))).toBe(false);
    const missing = () => {
      throw new Error('ENOENT');
    };
    expect(vulkanLoaderFound({}, missing)).toBe(true);
  });
});
