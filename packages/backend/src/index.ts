export {
  BACKEND_NAMES,
  type BackendChoice,
  type BackendRequest,
  type SkippedBackend,
  type UseBackendOptions,
  describeBackend,
  useFastestBackend,
} from './select.js';
export { ensureGradients } from './gradients.js';
