// A float64 reference for training-mode batch norm over the last axis, written out for the
// XclrChannelMoments and XclrBatchNormGrad tests.

export function referenceMoments(x: Float32Array, channels: number): { mean: Float64Array; variance: Float64Array } {
  const rows = x.length / channels;
  const mean = new Float64Array(channels);
  const variance = new Float64Array(channels);
  for (let i = 0; i < x.length; i++) mean[i % channels] += x[i] / rows;
  for (let i = 0; i < x.length; i++) variance[i % channels] += (x[i] - mean[i % channels]) ** 2 / rows;
  return { mean, variance };
}

/** dx, dScale, dOffset of Σ dy · ((x − mean) / √(variance + ε) · scale + offset), statistics of x. */
export function referenceGrad(dy: Float32Array, x: Float32Array, scale: Float32Array, epsilon: number) {
  const channels = scale.length;
  const rows = x.length / channels;
  const { mean, variance } = referenceMoments(x, channels);
  const r = Array.from(variance, (v) => 1 / Math.sqrt(v + epsilon));
  const dOffset = new Float64Array(channels);
  const dScale = new Float64Array(channels);
  for (let i = 0; i < x.length; i++) {
    const c = i % channels;
    dOffset[c] += dy[i];
    dScale[c] += dy[i] * (x[i] - mean[c]) * r[c];
  }
  const dx = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = i % channels;
    const xHat = (x[i] - mean[c]) * r[c];
    dx[i] = scale[c] * r[c] * (dy[i] - dOffset[c] / rows - (xHat * dScale[c]) / rows);
  }
  return { dx, dScale, dOffset };
}

/**
 * |got − want| ≤ rtol · (|want| + max |want| · 1e-3) + atol + 1e-7 for every entry (`atol` for
 * results far smaller than the data they come from, such as a mean near 0 of values near 1).
 */
export function nearOrWhy(got: Float32Array, want: Float64Array, rtol: number, atol = 0): string | null {
  let scale = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < want.length; i++) {
    const tol = rtol * (Math.abs(want[i]) + scale * 1e-3) + atol + 1e-7;
    if (!(Math.abs(got[i] - want[i]) <= tol)) return `[${i}]: ${got[i]}, reference ${want[i]} (tolerance ${tol})`;
  }
  return null;
}

/** `x` (rows of channels) in `groups` equal groups of rows, in order. */
export function rowGroups(x: Float32Array, groups: number): Float32Array[] {
  const size = x.length / groups;
  return Array.from({ length: groups }, (_, g) => x.subarray(g * size, (g + 1) * size));
}

/** Each group's statistics, [groups × C] in group order: what separate calls would give. */
export function referenceGroupMoments(x: Float32Array, channels: number, groups: number) {
  const parts = rowGroups(x, groups).map((part) => referenceMoments(part, channels));
  const join = (key: 'mean' | 'variance') => Float64Array.from(parts.flatMap((m) => Array.from(m[key])));
  return { mean: join('mean'), variance: join('variance') };
}
