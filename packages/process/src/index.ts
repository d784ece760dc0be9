export {
  envWithMallocTuning,
  MALLOC_TUNING_OPT_OUT,
  type MallocTuning,
  mallocTuning,
  mallocTuningNote,
  TRAINING_MALLOC_TUNABLES,
} from './malloc-tuning.js';
export { failIfUnfinished, relaunchWithMallocTuning } from './relaunch.js';
export { missingV8Flags, TRAINING_V8_FLAGS, V8_FLAGS_OPT_OUT } from './v8-flags.js';
