import * as tf from '@tensorflow/tfjs-core';
import type { ClassSimilarity } from './class-graph.js';
import { list } from './taxonomy.js';
import { kindOf } from './text-records.js';

// Graphs from multi-label data: each sample carries a set of labels (class indices or names).

/** One sample's labels: class indices or class names; repeats count once. */
export type LabelSet = ArrayLike<number | string>;

export interface CoOccurrenceOptions {
  /** The classes, in label order; labels are their 0-based indices or their names. */
  classNames: readonly string[];
  /**
   * `cosine` (default): |A ∩ B| / √(|A|·|B|), the cosine of the two classes' 0/1 columns in the
   * samples × classes incidence matrix; `jaccard`: |A ∩ B| / |A ∪ B|. A and B are the sets of
   * samples carrying each class.
   */
  metric?: 'cosine' | 'jaccard';
}

function resolver(fn: string, classNames: readonly string[]): (label: unknown, sample: number) => number {
  const byName = new Map(classNames.map((n, k) => [n, k]));
  return (label, sample) => {
    if (typeof label === 'string') {
      const k = byName.get(label);
      if (k === undefined) throw new Error(`${fn}: sample ${sample}: unknown label "${label}" (classes: ${list(classNames)})`);
      return k;
    }
    if (typeof label !== 'number' || !Number.isInteger(label)) {
      throw new Error(
        `${fn}: sample ${sample}: label ${typeof label === 'number' ? label : kindOf(label)} is not a class index or name`,
      );
    }
    if (label < 0 || label >= classNames.length) {
      throw new Error(`${fn}: sample ${sample}: label ${label} is out of range [0, ${classNames.length})`);
    }
    return label;
  };
}

/** A sample's labels as distinct sorted class indices. */
function distinct(set: LabelSet, sample: number, resolve: (label: unknown, sample: number) => number, fn: string): number[] {
  if (set === null || typeof set !== 'object' || typeof set.length !== 'number') {
    throw new Error(`${fn}: sample ${sample}: labels are ${kindOf(set)}, expected an array of labels`);
  }
  const out = new Set<number>();
  for (let k = 0; k < set.length; k++) out.add(resolve(set[k], sample));
  return [...out].sort((a, b) => a - b);
}

/**
 * A class graph from multi-label data: with A and B the samples carrying classes a and b,
 * cosine (default) sim(a, b) = |A ∩ B| / √(|A|·|B|), or jaccard |A ∩ B| / |A ∪ B|; 1 on the
 * diagonal, 0 for a class no sample carries. Symmetric, in [0, 1].
 */
export function coOccurrenceClassGraph(labelSets: Iterable<LabelSet>, options: CoOccurrenceOptions): ClassSimilarity {
  const fn = 'coOccurrenceClassGraph';
  const metric = options.metric ?? 'cosine';
  if (metric !== 'cosine' && metric !== 'jaccard')
    throw new Error(`${fn}: metric must be "cosine" or "jaccard", got ${JSON.stringify(metric)}`);
  const names = options.classNames;
  if (!Array.isArray(names) || names.length === 0) throw new Error(`${fn}: classNames must be a non-empty array of class names`);
  const twice = names.find((n, k) => names.indexOf(n) !== k);
  if (twice !== undefined) throw new Error(`${fn}: class "${twice}" is listed twice in classNames`);
  const c = names.length;
  const resolve = resolver(fn, names);
  const count = new Float64Array(c);
  const both = new Float64Array(c * c);
  let sample = 0;
  for (const set of labelSets) {
    const labels = distinct(set, sample, resolve, fn);
    for (let x = 0; x < labels.length; x++) {
      count[labels[x]]++;
      for (let y = x + 1; y < labels.length; y++) both[labels[x] * c + labels[y]]++;
    }
    sample++;
  }
  const similarity = new Float32Array(c * c);
  for (let a = 0; a < c; a++) {
    similarity[a * c + a] = 1;
    for (let b = a + 1; b < c; b++) {
      const ab = both[a * c + b];
      const s = ab === 0 ? 0 : metric === 'cosine' ? ab / Math.sqrt(count[a] * count[b]) : ab / (count[a] + count[b] - ab);
      similarity[a * c + b] = similarity[b * c + a] = s;
    }
  }
  return { classNames: [...names], similarity };
}

/**
 * (f) Multi-label samples: `[N, N]` with entry (a, b) the Jaccard similarity of the two samples'
 * label sets, |L_a ∩ L_b| / |L_a ∪ L_b| (0 when both are empty), 1 on the diagonal. With one label
 * per sample it is `sameLabelGraph`. `labelSets` are the batch's sets, or with `indices` all
 * samples' sets, of which the batch takes those rows. Labels compare by value (indices or names).
 */
export function batchSimilarityFromLabelSets(labelSets: readonly LabelSet[], indices?: Int32Array | number[]): tf.Tensor2D {
  const fn = 'batchSimilarityFromLabelSets';
  const batch = indices
    ? Array.from(indices, (i) => {
        if (!Number.isInteger(i) || i < 0 || i >= labelSets.length) {
          throw new Error(`${fn}: sample index ${i} is out of range [0, ${labelSets.length})`);
        }
        return labelSets[i];
      })
    : labelSets;
  const sets = batch.map((set, k) => {
    if (set === null || typeof set !== 'object' || typeof set.length !== 'number') {
      throw new Error(`${fn}: sample ${indices ? indices[k] : k}: labels are ${kindOf(set)}, expected an array of labels`);
    }
    return new Set(Array.from(set));
  });
  const n = sets.length;
  const out = new Float32Array(n * n);
  for (let a = 0; a < n; a++) {
    out[a * n + a] = 1;
    for (let b = a + 1; b < n; b++) {
      let shared = 0;
      for (const label of sets[a]) if (sets[b].has(label)) shared++;
      const union = sets[a].size + sets[b].size - shared;
      out[a * n + b] = out[b * n + a] = union === 0 ? 0 : shared / union;
    }
  }
  return tf.tensor2d(out, [n, n]);
}
