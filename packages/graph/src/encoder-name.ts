import { createTransformersEncoder, DEFAULT_TRANSFORMERS_MODEL } from './encoders/transformers.js';
import { createUseLiteEncoder } from './encoders/use-lite.js';
import type { TextEncoder } from './text-encoder.js';

/** The kinds of sentence encoder a name can select: `use-lite`, or `transformers:MODEL`. */
export const TEXT_ENCODER_KINDS = ['use-lite', 'transformers'] as const;
export type TextEncoderKind = (typeof TEXT_ENCODER_KINDS)[number];

/** A parsed encoder name. */
export type TextEncoderSpec = { kind: 'use-lite' } | { kind: 'transformers' /** Hub id or local directory. */; model: string };

const TRANSFORMERS_PREFIX = 'transformers:';

/** Whether `name` selects an encoder (`use-lite`, or `transformers:` followed by a model). */
export function isTextEncoderName(name: string): boolean {
  return name === 'use-lite' || (name.startsWith(TRANSFORMERS_PREFIX) && name.length > TRANSFORMERS_PREFIX.length);
}

/**
 * Parses an encoder name: `use-lite`, or `transformers:MODEL` where MODEL is a hub id or a local
 * model directory. Throws `NAME: unknown encoder; use use-lite or transformers:MODEL (…)` otherwise.
 */
export function parseTextEncoderName(name: string): TextEncoderSpec {
  if (!isTextEncoderName(name)) {
    throw new Error(
      `${name}: unknown encoder; use use-lite or transformers:MODEL (a model id such as ${DEFAULT_TRANSFORMERS_MODEL}, or a local directory)`,
    );
  }
  return name === 'use-lite' ? { kind: 'use-lite' } : { kind: 'transformers', model: name.slice(TRANSFORMERS_PREFIX.length) };
}

export interface CreateTextEncoderOptions {
  /** transformers: never reach the network (local directory or transformers.js's cache only). */
  offline?: boolean;
  /** transformers: where onnxruntime runs the model (`webgpu`: its WebGPU provider). use-lite follows the tfjs backend. */
  device?: 'cpu' | 'webgpu';
}

/**
 * The encoder a name selects (see `parseTextEncoderName`). The encoder's `name` is `name`.
 * `use-lite` runs on the active tfjs backend: this package never picks one, so the app sets it
 * (e.g. `useFastestBackend()` from @xclr/backend) before calling.
 */
export async function createTextEncoder(name: string, options: CreateTextEncoderOptions = {}): Promise<TextEncoder> {
  const spec = parseTextEncoderName(name);
  if (spec.kind === 'use-lite') return createUseLiteEncoder();
  return createTransformersEncoder({ model: spec.model, offline: Boolean(options.offline), device: options.device });
}
