import { checkLabels, type Features, l2NormalizeRows } from './features.js';

/**
 * Class-level similarity of learned features: the cosine similarity of each pair of classes' mean
 * unit feature (the paper's Figs. 4 and 5 compare this with the target graph).
 */
export function classSimilarity(f: Features, labels: ArrayLike<number>, numClasses: number): Float32Array {
  checkLabels('classSimilarity', labels, f.rows);
  const unit = l2NormalizeRows(f);
  const means = new Float64Array(numClasses * f.dim);
  const counts = new Float64Array(numClasses);
  for (let r = 0; r < f.rows; r++) {
    counts[labels[r]]++;
    for (let k = 0; k < f.dim; k++) means[labels[r] * f.dim + k] += unit.data[r * f.dim + k];
  }
  const norm = (c: number) => Math.sqrt(means.subarray(c * f.dim, (c + 1) * f.dim).reduce((s, v) => s + v * v, 0)) || 1;
  const out = new Float32Array(numClasses * numClasses);
  for (let a = 0; a < numClasses; a++) {
    for (let b = 0; b < numClasses; b++) {
      let s = 0;
      for (let k = 0; k < f.dim; k++) s += means[a * f.dim + k] * means[b * f.dim + k];
      out[a * numClasses + b] = counts[a] && counts[b] ? s / (norm(a) * norm(b)) : 0;
    }
  }
  return out;
}

function offDiagonal(m: ArrayLike<number>, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) out.push(m[i * n + j]);
  return out;
}

export function pearson(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

function ranks(v: number[]): number[] {
  const order = v.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
  const r = new Array<number>(v.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let t = i; t <= j; t++) r[order[t][1]] = (i + j) / 2; // ties share their mean rank
    i = j + 1;
  }
  return r;
}

/** Pearson and Spearman correlation of two n × n similarity matrices, off-diagonal entries only. */
export function graphCorrelation(learned: ArrayLike<number>, target: ArrayLike<number>, n: number): { pearson: number; spearman: number } {
  if (learned.length !== n * n || target.length !== n * n) throw new Error(`graphCorrelation: both matrices must be ${n}×${n}`);
  const a = offDiagonal(learned, n);
  const b = offDiagonal(target, n);
  return { pearson: pearson(a, b), spearman: pearson(ranks(a), ranks(b)) };
}

export interface GroupSimilarity {
  /** Distinct values of the label kind (the matrices are values × values, row-major). */
  values: number;
  /** `classSimilarity` of the target rows (e.g. the samples' caption embeddings) by value. */
  target: number[];
  /** `classSimilarity` of the learned features by value. */
  learned: number[];
  pearson: number;
  spearman: number;
}

/**
 * For each label kind of `groups` (e.g. `{ object, color, size }`, integers from 0): the value ×
 * value similarity of the learned features and of `target` rows of the same samples (e.g. the
 * sentence embeddings of their captions), and how well they correlate: whether an encoder learned
 * the target's structure attribute by attribute (the paper's Fig. 4, per attribute).
 */
export function similarityByGroup(
  learned: Features,
  target: Features,
  groups: Readonly<Record<string, ArrayLike<number>>>,
): Record<string, GroupSimilarity> {
  if (learned.rows !== target.rows)
    throw new Error(`similarityByGroup: ${learned.rows} learned rows but ${target.rows} target rows`);
  const out: Record<string, GroupSimilarity> = {};
  for (const [name, labels] of Object.entries(groups)) {
    checkLabels(`similarityByGroup ${name}`, labels, learned.rows);
    const values = Math.max(...Array.from(labels)) + 1;
    if (!(Number.isInteger(values) && values >= 2 && Array.from(labels).every((v) => Number.isInteger(v) && v >= 0)))
      throw new Error(`similarityByGroup ${name}: labels must be integers ≥ 0 with at least two values`);
    const t = classSimilarity(target, labels, values);
    const l = classSimilarity(learned, labels, values);
    out[name] = { values, target: Array.from(t), learned: Array.from(l), ...graphCorrelation(l, t, values) };
  }
  return out;
}
