import { barlowTwinsDefinition, barlowTwinsGraphDefinition } from './barlow-twins.js';
import { clipDefinition } from './clip.js';
import type { LossDefinition, PairLoss } from './loss-definition.js';
import { ntXentDefinition } from './nt-xent.js';
import { supConDefinition } from './supcon.js';
import { vicregDefinition, vicregGraphDefinition } from './vicreg.js';
import { xclrDefinition } from './xclr.js';

/** Every loss by name; add a definition here and it is in `LOSSES`, `LOSS_NAMES` and `createLoss`. */
const DEFINITIONS = [
  xclrDefinition,
  ntXentDefinition,
  supConDefinition,
  clipDefinition,
  vicregDefinition,
  barlowTwinsDefinition,
  vicregGraphDefinition,
  barlowTwinsGraphDefinition,
] as const;

type Definitions = typeof DEFINITIONS;

/** `[D₁['name'], D₂['name'], …]` of a tuple of definitions (generic, so that it maps the tuple's elements only). */
type NamesOf<T extends readonly LossDefinition[]> = { readonly [I in keyof T]: T[I]['name'] };

/** A loss's name: `'xclr' | 'ntxent' | 'supcon' | 'clip' | 'vicreg' | 'barlow' | 'vicreg-graph' | 'barlow-graph'`. */
export type LossName = Definitions[number]['name'];

/** The definition of the loss called `N`. */
export type LossDefinitionOf<N extends LossName> = Extract<Definitions[number], { name: N }>;

/** The options `createLoss(name, options)` takes for each name. */
export type LossOptions = {
  [N in LossName]: LossDefinitionOf<N> extends LossDefinition<infer Options, N> ? Options : never;
};

/** The names, in a fixed order, as a readonly tuple (e.g. for `z.enum(LOSS_NAMES)`). */
export const LOSS_NAMES = Object.freeze(DEFINITIONS.map((definition) => definition.name)) as unknown as NamesOf<Definitions>;

/** Each loss's definition by name. */
export const LOSSES: { readonly [N in LossName]: LossDefinitionOf<N> } = (() => {
  const byName: Record<string, LossDefinition> = {};
  for (const definition of DEFINITIONS) {
    if (Object.hasOwn(byName, definition.name)) throw new Error(`@xclr/losses: two losses are called '${definition.name}'`);
    byName[definition.name] = definition;
  }
  return Object.freeze(byName) as { readonly [N in LossName]: LossDefinitionOf<N> };
})();

/**
 * The loss called `name` with `options`, in the one call shape `(zA, zB, context?) => tf.Scalar`
 * that every loss shares: `createLoss('ntxent', { temperature: 0.1 })` and
 * `createLoss('xclr', { temperature: 0.1 })` are called the same way, X-CLR reading
 * `context.similarity`. Throws for an unknown name, listing the valid ones.
 */
export function createLoss<N extends LossName>(name: N, options?: LossOptions[N]): PairLoss {
  if (typeof name !== 'string' || !Object.hasOwn(LOSSES, name)) {
    const valid = LOSS_NAMES.map((n) => `'${n}'`).join(', ');
    throw new Error(`createLoss: unknown loss ${JSON.stringify(name)}; the losses are ${valid}`);
  }
  return (LOSSES[name] as LossDefinition<NonNullable<LossOptions[N]>>).create(options);
}
