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
export {
  MALLOC_TUNING_OPT_OUT,
  type MallocTuning,
  TRAINING_MALLOC_TUNABLES,
  envWithMallocTuning,
  mallocTuning,
} from './malloc-tuning.js';
export { relaunchWithMallocTuning } from './relaunch.js';
export { FusedAdamOptimizer, fusedAdam } from './adam/fused-adam.js';
export { ADAM_UPDATE } from './adam/adam-kernel.js';
