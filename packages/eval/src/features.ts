/** Row-major feature matrix: `rows × dim` float32 values. */
export interface Features {
  data: Float32Array;
  rows: number;
  dim: number;
}

export function features(data: Float32Array, dim: number, what = 'features'): Features {
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`${what}: dim must be a positive integer, got ${dim}`);
  if (data.length === 0) throw new Error(`${what}: empty feature matrix`);
  if (data.length % dim !== 0) throw new Error(`${what}: ${data.length} values are not rows of ${dim}`);
  return { data, rows: data.length / dim, dim };
}

export function checkLabels(what: string, labels: ArrayLike<number>, rows: number): void {
  if (labels.length !== rows) throw new Error(`${what}: ${labels.length} labels for ${rows} feature rows`);
}

/** Unit-norm copy of each row (zero rows stay zero). */
export function l2NormalizeRows(f: Features): Features {
  const out = new Float32Array(f.data.length);
  for (let r = 0; r < f.rows; r++) {
    let s = 0;
    for (let k = 0; k < f.dim; k++) s += f.data[r * f.dim + k] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let k = 0; k < f.dim; k++) out[r * f.dim + k] = f.data[r * f.dim + k] * inv;
  }
  return { ...f, data: out };
}
