export {
  envWithMallocTuning,
  MALLOC_TUNING_OPT_OUT,
  type MallocTuning,
  mallocTuning,
  mallocTuningNote,
  TRAINING_MALLOC_TUNABLES,
} from './malloc-tuning.js';
export { failIfUnfinished, relaunchWithMallocTuning } from './relaunch.js';
