export {
  BACKEND_NAMES,
  type BackendChoice,
  type BackendRequest,
  type SkippedBackend,
  type UseBackendOptions,
  describeBackend,
  useFastestBackend,
} from './select.js';
export { describeEnvironment, installedVersion } from './environment.js';
export {
  adapterName,
  describeAdapter,
  isSoftwareAdapter,
  type WebGpuAdapter,
  type WebGpuOptions,
} from './webgpu/setup.js';
export { ensureGradients } from './gradients.js';
