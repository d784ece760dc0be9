export { applyOverrides, ConfigError, closestKey, resolveConfig, validateConfig } from './config/overrides.js';
export { DEFAULT_PRESET, PRESETS } from './config/presets.js';
export { type RunConfig, runConfigSchema } from './config/schema.js';
export { type Io, main } from './program.js';
export { runTraining, type Summary } from './run/trainer.js';
