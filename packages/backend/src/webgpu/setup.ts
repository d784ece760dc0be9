import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

// TensorFlow.js on WebGPU in plain Node: Dawn's Node bindings (the `webgpu` package) give a
// `GPU` object; @tensorflow/tfjs-backend-webgpu runs on it once the WebGPU globals and
// `navigator.gpu` exist. Everything that setup needs lives in this file.

/** How to reach a WebGPU adapter through Dawn (`useFastestBackend({ webgpu })`). */
export interface WebGpuOptions {
  /**
   * Dawn's instance options, e.g. `['backend=opengles']` or `['backend=vulkan']`. Default: Dawn's
   * own choice (Vulkan on Linux) and, when webgpu is asked for by name and that finds no
   * adapter, Dawn's OpenGL ES backend (which runs on Mesa's llvmpipe where there is no GPU).
   */
  dawnOptions?: string[];
  /** WebGPU feature level; default `compatibility` on the OpenGL ES backend, else `core`. */
  featureLevel?: 'core' | 'compatibility';
}

/** The WebGPU adapter found, as Dawn describes it. */
export interface WebGpuAdapter {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software rasterizer (llvmpipe, lavapipe, SwiftShader): chosen only when asked for by name. */
  software: boolean;
  /** The Dawn options it came from (`[]`: Dawn's default backend). */
  dawnOptions: string[];
  featureLevel: 'core' | 'compatibility';
  /** The limits that bound tfjs's buffers and kernels. */
  limits: {
    maxBufferSize: number;
    maxStorageBufferBindingSize: number;
    maxComputeWorkgroupStorageSize: number;
    maxComputeInvocationsPerWorkgroup: number;
  };
}

// The few parts of the WebGPU API used here (the `webgpu` package's types are a dev dependency).
interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter?: boolean;
}
interface GpuAdapter {
  info: GpuAdapterInfo;
  features: { has(name: string): boolean };
  limits: Record<string, number>;
  requestDevice(descriptor: object): Promise<object>;
}
interface Gpu {
  requestAdapter(options?: object): Promise<GpuAdapter | null>;
}
interface Dawn {
  create(options: string[]): Gpu;
  globals: object;
}
type WebGpuBackendClass = new (device: object, adapterInfo: GpuAdapterInfo) => tf.KernelBackend;

interface Route {
  dawnOptions: string[];
  featureLevel: 'core' | 'compatibility';
}
const DAWN_DEFAULT: Route = { dawnOptions: [], featureLevel: 'core' };
// Stock Mesa's Vulkan rasterizer (lavapipe before Mesa 25) lacks features Dawn's Vulkan backend
// requires; its OpenGL ES rasterizer (llvmpipe) is enough for a compatibility-level adapter.
const OPENGLES: Route = { dawnOptions: ['backend=opengles'], featureLevel: 'compatibility' };

const routeName = (r: Route) => (r.dawnOptions.length > 0 ? `Dawn ${r.dawnOptions.join(' ')}` : "Dawn's default backend");
// Dawn's default backend on Linux is Vulkan.
const isVulkanRoute = (r: Route) =>
  r.dawnOptions.includes('backend=vulkan') || !r.dawnOptions.some((o) => o.startsWith('backend='));

const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader|software rasteri[sz]er/i;

/** Whether an adapter is a software rasterizer rather than a GPU. */
export function isSoftwareAdapter(
  info: Pick<WebGpuAdapter, 'vendor' | 'architecture' | 'device' | 'description'> & { isFallbackAdapter?: boolean },
): boolean {
  return (
    info.isFallbackAdapter === true ||
    info.architecture === 'software' ||
    info.vendor === 'mesa' ||
    SOFTWARE_NAMES.test(info.device) ||
    SOFTWARE_NAMES.test(info.description)
  );
}

/** An adapter in a few words, e.g. `llvmpipe-llvm-15-0-6-256-bits-, software, Dawn backend=opengles`. */
export function adapterName(a: WebGpuAdapter): string {
  const name = [a.vendor, a.architecture, a.device].filter(Boolean).join(' ') || 'unnamed adapter';
  return `${name}, ${a.software ? 'software' : 'hardware'}, ${routeName(a)}`;
}

/** An adapter with its description, feature level and the limits that bound tfjs's buffers and kernels. */
export function describeAdapter(a: WebGpuAdapter): string {
  const mib = (n: number) => `${Math.round(n / 2 ** 20)} MiB`;
  return [
    adapterName(a),
    a.description && `"${a.description}"`,
    `${a.featureLevel} feature level`,
    `maxBufferSize ${mib(a.limits.maxBufferSize)}`,
    `maxStorageBufferBindingSize ${mib(a.limits.maxStorageBufferBindingSize)}`,
    `maxComputeWorkgroupStorageSize ${a.limits.maxComputeWorkgroupStorageSize / 1024} KiB`,
    `maxComputeInvocationsPerWorkgroup ${a.limits.maxComputeInvocationsPerWorkgroup}`,
  ]
    .filter(Boolean)
    .join(', ');
}

function adapterOf(adapter: GpuAdapter, route: Route): WebGpuAdapter {
  const { vendor, architecture, device, description } = adapter.info;
  const l = adapter.limits;
  return {
    vendor,
    architecture,
    device,
    description,
    software: isSoftwareAdapter(adapter.info),
    dawnOptions: route.dawnOptions,
    featureLevel: route.featureLevel,
    limits: {
      maxBufferSize: l.maxBufferSize,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    },
  };
}

// The adapter in use and the route it came from: asking again for that route keeps the backend.
let active: { adapter: WebGpuAdapter; route: Route } | null = null;

function missingPackage(): string | null {
  const require = createRequire(import.meta.url);
  for (const id of ['webgpu', '@tensorflow/tfjs-backend-webgpu']) {
    try {
      require.resolve(`${id}/package.json`);
    } catch {
      return `${id} is not installed`;
    }
  }
  return null;
}

async function loadPackages(): Promise<{ dawn: Dawn; Backend: WebGpuBackendClass } | string> {
  let dawn: Dawn;
  try {
    dawn = (await import('webgpu')) as unknown as Dawn;
  } catch (err) {
    // e.g. dawn.node needs glibc >= 2.34, or no build for this platform.
    return `webgpu (Dawn) failed to load: ${(err as Error).message.split('\n')[0]}`;
  }
  // The backend reads GPUBufferUsage & co. as globals, and navigator.gpu when it is constructed.
  // It is imported before navigator.gpu exists so that it registers no factory of its own: the
  // one below reports why a device could not be had instead of a console warning.
  Object.assign(globalThis, dawn.globals);
  try {
    const mod = (await import('@tensorflow/tfjs-backend-webgpu')) as unknown as { WebGPUBackend: WebGpuBackendClass };
    return { dawn, Backend: mod.WebGPUBackend };
  } catch (err) {
    return `@tensorflow/tfjs-backend-webgpu failed to load: ${(err as Error).message.split('\n')[0]}`;
  }
}

function installNavigatorGpu(gpu: Gpu): void {
  // Node 20 has no navigator; Node 21+ has one without `gpu`.
  const g = globalThis as { navigator?: object };
  if (g.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: {}, writable: true, configurable: true });
  }
  Object.defineProperty(g.navigator, 'gpu', { value: gpu, writable: true, configurable: true });
}

/**
 * Whether the dynamic loader can find `libvulkan.so.1`, which Dawn's default backend on Linux
 * needs: without it Dawn finds no adapter and prints a warning, which this check spares.
 */
export function vulkanLoaderFound(
  env: NodeJS.ProcessEnv = process.env,
  read: (file: string) => string = (f) => fs.readFileSync(f, 'latin1'),
): boolean {
  const name = 'libvulkan.so.1';
  const dirs = (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  if (dirs.some((d) => fs.existsSync(path.join(d, name)))) return true;
  try {
    return read('/etc/ld.so.cache').includes(name);
  } catch {
    return true; // no cache to read (not glibc): let Dawn look
  }
}

async function findAdapter(dawn: Dawn, route: Route): Promise<{ gpu: Gpu; adapter: GpuAdapter } | null> {
  // Mesa's EGL would otherwise look for a display server.
  if (route.dawnOptions.includes('backend=opengles')) process.env.EGL_PLATFORM ??= 'surfaceless';
  const gpu = dawn.create(route.dawnOptions);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance', featureLevel: route.featureLevel });
  return adapter ? { gpu, adapter } : null;
}

/** The tfjs backend on a device of `adapter`, with the device descriptor tfjs-backend-webgpu uses itself. */
async function createBackend(Backend: WebGpuBackendClass, adapter: GpuAdapter): Promise<tf.KernelBackend> {
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
    requiredLimits: {
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      // tfjs binds every input of AddN, Concat, … as a storage buffer: take what the adapter allows
      // (often 16 or more) rather than WebGPU's default of 8.
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    },
  });
  return explainReadSync(new Backend(device, adapter.info));
}

/**
 * tfjs-backend-webgpu reads synchronously (`dataSync`, `arraySync`) through OffscreenCanvas, which
 * Node lacks, and Dawn has no synchronous map: say so, and what works, instead of
 * "OffscreenCanvas is not defined" after a warning about speed.
 */
function explainReadSync(backend: tf.KernelBackend): tf.KernelBackend {
  const b = backend as tf.KernelBackend & { hasReadSyncWarned: boolean };
  const readSync = b.readSync.bind(b);
  b.hasReadSyncWarned = true;
  b.readSync = (dataId: object) => {
    try {
      return readSync(dataId);
    } catch (err) {
      if (!(err instanceof ReferenceError && err.message.includes('OffscreenCanvas'))) throw err;
      throw new Error(
        '@xclr/backend: the webgpu backend cannot read a tensor synchronously in Node (dataSync, arraySync, ' +
          'or an op that reads its input on the CPU): read with `await tensor.data()` / `await tensor.array()`',
      );
    }
  };
  return b;
}

/** The routes to try: the one the options name, else Dawn's default and, by name, OpenGL ES. */
function routesFor(options: WebGpuOptions, byName: boolean): Route[] {
  if (options.dawnOptions) {
    const gles = options.dawnOptions.includes('backend=opengles');
    return [{ dawnOptions: options.dawnOptions, featureLevel: options.featureLevel ?? (gles ? 'compatibility' : 'core') }];
  }
  const dawnDefault: Route = { ...DAWN_DEFAULT, featureLevel: options.featureLevel ?? 'core' };
  return byName ? [dawnDefault, OPENGLES] : [dawnDefault];
}

const sameRoute = (a: Route, b: Route) => a.featureLevel === b.featureLevel && a.dawnOptions.join() === b.dawnOptions.join();

/** Why `auto` passes over a software adapter (slower than wasm for most work). */
const passedOverAdapter = (adapter: WebGpuAdapter) => ({
  error: `software adapter (${adapter.device || adapter.description}) is not chosen automatically; ask for it by name (backend 'webgpu', xclr --backend webgpu)`,
  adapter,
});

/**
 * Activates tfjs's webgpu backend through Dawn, or says why not. `byName`: webgpu was asked for
 * (a software adapter is accepted, and the OpenGL ES route is tried after Dawn's default).
 */
export async function setUpWebGpu(
  options: WebGpuOptions = {},
  byName = false,
): Promise<{ error: string | null; adapter: WebGpuAdapter | null }> {
  const missing = missingPackage();
  if (missing) return { error: missing, adapter: null };
  const misses: string[] = [];
  const routes = routesFor(options, byName).filter((route) => {
    if (process.platform !== 'linux' || !isVulkanRoute(route) || vulkanLoaderFound()) return true;
    misses.push(`${routeName(route)}: no Vulkan loader (libvulkan.so.1)`);
    return false;
  });
  const hint = byName || options.dawnOptions ? '' : '; the OpenGL ES route is tried only when webgpu is asked for by name';
  const noAdapter = () => ({ error: `no WebGPU adapter (${misses.join('; ')})${hint}`, adapter: null });
  if (routes.length === 0) return noAdapter();

  // Asked again for a route in use: keep its backend and tensors (tf.removeBackend drops them).
  const current = active;
  if (current && tf.findBackend('webgpu') && routes.some((r) => sameRoute(r, current.route))) {
    // In auto, a software adapter taken by name earlier is passed over all the same.
    if (current.adapter.software && !byName) return passedOverAdapter(current.adapter);
    if (!(await tf.setBackend('webgpu'))) return { error: 'the webgpu backend did not initialise', adapter: current.adapter };
    return { error: null, adapter: current.adapter };
  }
  const loaded = await loadPackages();
  if (typeof loaded === 'string') return { error: loaded, adapter: null };
  let found: { gpu: Gpu; adapter: GpuAdapter; route: Route } | null = null;
  for (const route of routes) {
    try {
      const hit = await findAdapter(loaded.dawn, route);
      if (hit) {
        found = { ...hit, route };
        break;
      }
      misses.push(`${routeName(route)}: no adapter`);
    } catch (err) {
      misses.push(`${routeName(route)}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (found == null) return noAdapter();
  const adapter = adapterOf(found.adapter, found.route);
  if (adapter.software && !byName) return passedOverAdapter(adapter);
  try {
    installNavigatorGpu(found.gpu);
    const backend = await createBackend(loaded.Backend, found.adapter);
    if (tf.findBackend('webgpu') || tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', () => backend);
    if (!(await tf.setBackend('webgpu'))) return { error: 'the webgpu backend did not initialise', adapter };
  } catch (err) {
    return { error: `the webgpu backend did not initialise: ${(err as Error).message}`, adapter };
  }
  active = { adapter, route: found.route };
  return { error: null, adapter };
}
