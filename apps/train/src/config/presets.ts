import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

/** The presets' folder: one complete, commented run config per file, copyable as a `--config`. */
export const PRESETS_DIR = fileURLToPath(new URL('../../presets/', import.meta.url));

export const DEFAULT_PRESET = 'fmnist-xclr';

/** Named starting points for the paper's experiments (`presets/NAME.yaml`, the default first); `--set` adjusts any field. */
export const PRESETS: Record<string, unknown> = Object.fromEntries(
  fs
    .readdirSync(PRESETS_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort((a, b) => Number(b === DEFAULT_PRESET) - Number(a === DEFAULT_PRESET) || a.localeCompare(b))
    .map((name) => [name, parseYaml(fs.readFileSync(`${PRESETS_DIR}${name}.yaml`, 'utf8'))]),
);
