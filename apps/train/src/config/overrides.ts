import fs from 'node:fs';
import path from 'node:path';
import { closest, distance } from 'fastest-levenshtein';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { DEFAULT_PRESET, PRESETS } from './presets.js';
import { type RunConfig, runConfigSchema } from './schema.js';

/** A clear, one-line configuration error (the CLI prints it without a stack trace). */
export class ConfigError extends Error {}

/** Every valid dotted key path of the schema (`train.batchSize`, `model.encoder.hidden`, ...). */
function schemaPaths(schema: z.ZodType, prefix = ''): string[] {
  const def = (schema as unknown as { def: { type: string } }).def;
  if (def.type === 'object') {
    const shape = (schema as unknown as z.ZodObject).shape;
    return Object.entries(shape).flatMap(([k, v]) => [prefix + k, ...schemaPaths(v as z.ZodType, `${prefix}${k}.`)]);
  }
  if (def.type === 'optional' || def.type === 'nullable')
    return schemaPaths((schema as unknown as { unwrap(): z.ZodType }).unwrap(), prefix);
  if (def.type === 'union') {
    return [...new Set(((schema as unknown as { options: z.ZodType[] }).options ?? []).flatMap((o) => schemaPaths(o, prefix)))];
  }
  return [];
}

const VALID_PATHS = schemaPaths(runConfigSchema);

/** The valid key nearest to a mistyped one, when it is near enough to be what was meant. */
export function closestKey(key: string): string | null {
  const best = closest(
    key.toLowerCase(),
    VALID_PATHS.map((p) => p.toLowerCase()),
  );
  const i = VALID_PATHS.findIndex((p) => p.toLowerCase() === best);
  return distance(key.toLowerCase(), best) <= Math.max(3, Math.floor(key.length / 3)) ? VALID_PATHS[i] : null;
}

/** Validates a config; errors name the field, and unknown keys suggest the closest valid one. */
export function validateConfig(value: unknown, source: string): RunConfig {
  const result = runConfigSchema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const at = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = [...issue.path, issue.keys[0]].join('.');
    const hint = closestKey(key);
    throw new ConfigError(`${source}: unknown key "${key}"${hint ? `; did you mean "${hint}"?` : ''}`);
  }
  throw new ConfigError(`${source}: ${at || '(root)'}: ${issue.message}`);
}

/** Parses a `--set` value: JSON when it parses (numbers, booleans, arrays, null), else a string. */
function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Applies `a.b.c=value` assignments to a plain object (copying along the path). */
export function applyOverrides(config: RunConfig, assignments: string[]): RunConfig {
  const out = structuredClone(config) as Record<string, unknown>;
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set ${assignment}: expected KEY=VALUE, e.g. --set train.epochs=3`);
    const path = assignment.slice(0, eq).split('.');
    let node = out;
    for (const [i, key] of path.slice(0, -1).entries()) {
      // An optional section the config leaves out (e.g. loss.queue) starts with its first --set key.
      if (node[key] === undefined && VALID_PATHS.includes(path.slice(0, i + 1).join('.'))) node[key] = {};
      const next = node[key];
      if (typeof next !== 'object' || next === null) {
        const hint = closestKey(path.join('.'));
        throw new ConfigError(
          `--set ${assignment}: "${path.join('.')}" is not a config field${hint ? `; did you mean "${hint}"?` : ''}`,
        );
      }
      node = next as Record<string, unknown>;
    }
    node[path.at(-1)!] = parseValue(assignment.slice(eq + 1));
  }
  return validateConfig(out, '--set');
}

/** The config a run directory was trained with (`config.resolved.json`). */
export function readRunConfig(runDir: string): RunConfig {
  const file = path.join(runDir, 'config.resolved.json');
  if (!fs.existsSync(file)) throw new Error(`${runDir}: not a run directory (no config.resolved.json)`);
  return validateConfig(JSON.parse(fs.readFileSync(file, 'utf8')), file);
}

/** The config of a run: a preset or a JSON/YAML file, then `--set` overrides, validated. */
export function resolveConfig(options: { preset?: string; config?: string; set?: string[] }): RunConfig {
  let base: RunConfig;
  if (options.config) {
    if (!fs.existsSync(options.config)) throw new ConfigError(`${options.config}: config file not found`);
    const text = fs.readFileSync(options.config, 'utf8');
    let parsed: unknown;
    try {
      parsed = /\.ya?ml$/i.test(options.config) ? parseYaml(text) : JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`${options.config}: cannot parse (${(err as Error).message.split('\n')[0]})`);
    }
    base = validateConfig(parsed, options.config);
  } else {
    const name = options.preset ?? DEFAULT_PRESET;
    const preset = PRESETS[name];
    if (!preset) throw new ConfigError(`unknown preset "${name}"; available: ${Object.keys(PRESETS).join(', ')}`);
    base = validateConfig(preset, `presets/${name}.yaml`);
  }
  const config = applyOverrides(base, options.set ?? []);
  // data.imageSize sets the encoder's input side too: one setting, not two that must agree. A
  // synthetic set generated at another size is read at that size unless data.imageSize says otherwise.
  const generated = config.data.dataset === 'synth' ? config.data.synth?.size : undefined;
  if (generated && !config.data.imageSize) config.data.imageSize = generated;
  const side = config.data.imageSize;
  if (side) config.model.encoder.inputShape = [side, side, config.model.encoder.inputShape[2]];
  return config;
}
