// MIT-States-style attribute probes (the X-CLR paper's attribute-understanding test): one linear
// probe per label kind (the object and each attribute) on a random half of held-out images,
// scored on the other half, beside the majority-class rate of that half.
import { checkLabels, type Features } from './features.js';
import { linearProbe } from './linear-probe.js';

export interface AttributeProbeOptions {
  /** Seed of the random 50/50 split (default 0): the same seed splits the same rows for every encoder. */
  seed?: number;
  /** Linear-probe gradient steps per weight decay (default 100). */
  epochs?: number;
}

export interface AttributeProbe {
  /** Linear top-1 on the scoring half. */
  top1: number;
  /** The share of the scoring half in its most frequent value: what a constant guess gets. */
  majority: number;
  /** Distinct values (the probe's classes). */
  values: number;
}

/** The rows of a seeded random 50/50 split: `[fit, score]` (Fisher–Yates on a mulberry32 stream). */
export function randomHalves(rows: number, seed = 0): [Int32Array, Int32Array] {
  if (!Number.isInteger(rows) || rows < 4)
    throw new Error(`attributeProbes: need at least 4 rows to split in halves, got ${rows}`);
  let state = (seed ^ 0x9e3779b9) >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = Int32Array.from({ length: rows }, (_, i) => i);
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const half = Math.floor(rows / 2);
  return [order.slice(0, half).sort(), order.slice(half).sort()];
}

function pickRows(f: Features, rows: Int32Array): Features {
  const data = new Float32Array(rows.length * f.dim);
  rows.forEach((r, k) => {
    data.set(f.data.subarray(r * f.dim, (r + 1) * f.dim), k * f.dim);
  });
  return { data, rows: rows.length, dim: f.dim };
}

/**
 * A linear probe per label kind of `labels` (e.g. `{ object, color, texture, … }`, integer values
 * from 0), fitted on a seeded random half of the rows of `f` and scored on the other half. Every
 * kind uses the same halves, so the scores compare across kinds and encoders.
 */
export async function attributeProbes(
  f: Features,
  labels: Readonly<Record<string, ArrayLike<number>>>,
  options: AttributeProbeOptions = {},
): Promise<Record<string, AttributeProbe>> {
  const [fitRows, scoreRows] = randomHalves(f.rows, options.seed ?? 0);
  const fitF = pickRows(f, fitRows);
  const scoreF = pickRows(f, scoreRows);
  const out: Record<string, AttributeProbe> = {};
  for (const [name, values] of Object.entries(labels)) {
    checkLabels(`attributeProbes ${name}`, values, f.rows);
    const bad = Array.from(values).find((v) => !(Number.isInteger(v) && v >= 0));
    if (bad !== undefined) throw new Error(`attributeProbes ${name}: values must be integers ≥ 0, got ${bad}`);
    const numClasses = Math.max(...Array.from(values)) + 1;
    const fitLabels = Array.from(fitRows, (r) => values[r]);
    const scoreLabels = Array.from(scoreRows, (r) => values[r]);
    const counts = new Array<number>(numClasses).fill(0);
    for (const v of scoreLabels) counts[v]++;
    const probe = await linearProbe(fitF, fitLabels, scoreF, scoreLabels, { epochs: options.epochs, numClasses });
    out[name] = {
      top1: probe.top1,
      majority: Math.max(...counts) / scoreLabels.length,
      values: new Set(Array.from(values)).size,
    };
  }
  return out;
}
