import { type BarlowObjectiveOptions, barlowObjective } from './barlow.js';
import { type ClipObjectiveOptions, clipObjective } from './clip.js';
import { type NtXentObjectiveOptions, ntXentObjective } from './ntxent.js';
import type { Objective } from './objective.js';
import { type SupConObjectiveOptions, supConObjective } from './supcon.js';
import { type SupervisedObjectiveOptions, supervisedObjective } from './supervised.js';
import { type VicregObjectiveOptions, vicregObjective } from './vicreg.js';
import { type XclrObjectiveOptions, xclrObjective } from './xclr.js';

/** The objectives by name, with the options each takes. */
export interface ObjectiveOptionsByName {
  xclr: XclrObjectiveOptions;
  ntxent: NtXentObjectiveOptions;
  supcon: SupConObjectiveOptions;
  clip: ClipObjectiveOptions;
  supervised: SupervisedObjectiveOptions;
  vicreg: VicregObjectiveOptions;
  barlow: BarlowObjectiveOptions;
}

export type ObjectiveName = keyof ObjectiveOptionsByName;

const FACTORIES: { [K in ObjectiveName]: (options: ObjectiveOptionsByName[K]) => Objective } = {
  xclr: xclrObjective,
  ntxent: ntXentObjective,
  supcon: supConObjective,
  clip: clipObjective,
  supervised: supervisedObjective,
  vicreg: vicregObjective,
  barlow: barlowObjective,
};

/** Every objective name (e.g. for a config schema's enum). */
export const OBJECTIVE_NAMES = Object.keys(FACTORIES) as [ObjectiveName, ...ObjectiveName[]];

/** An objective by name: `createObjective('xclr', { model, temperature: 0.1 })`. */
export function createObjective<K extends ObjectiveName>(name: K, options: ObjectiveOptionsByName[K]): Objective {
  const factory = FACTORIES[name] as ((o: ObjectiveOptionsByName[K]) => Objective) | undefined;
  if (!factory) throw new Error(`unknown objective "${String(name)}"; available: ${OBJECTIVE_NAMES.join(', ')}`);
  return factory(options);
}
