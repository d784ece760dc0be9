import type { HeapBackend } from '../core/heap.js';
import type { TensorInfo } from '../core/kernel-call.js';
import { inTwoShares } from '../simd/simd-helper.js';
import { heapSimdKernels } from '../simd/simd-kernels.js';
import { BLOCK_ROWS, blocksOf, simdBlockSums } from './block-sums.js';

/**
 * Wasm kernels this package adds, which `@xclr/models`' batchNormTraining uses where they are
 * registered (it composes the same from tfjs ops elsewhere). Each takes an optional attribute
 * `groups` (default 1): the rows of x (every axis but the last) are that many equal groups in
 * order (the views of a batch), each with its own statistics, as if each group were its own call.
 * XclrChannelMoments: input `x` (float32, channels on the last axis); outputs the mean and the
 * biased variance of each channel ([C] each; [groups, C] with groups), as tf.moments over every
 * other axis. XclrBatchNormApply: inputs `x`, `mean`, `variance` (as XclrChannelMoments gives
 * them), `scale` and `offset` ([C]), attribute `varianceEpsilon`; output
 * y = (x − mean) / √(variance + ε) · scale + offset, each group with its statistics.
 * XclrBatchNormGrad: inputs `dy`, `x`, `mean`, `variance` and `scale`, attribute
 * `varianceEpsilon`; outputs the gradients of that y with respect to x (the batch statistics
 * depending on x, as in training), scale and offset (summed over the groups).
 */
export const CHANNEL_MOMENTS = 'XclrChannelMoments';
export const BATCH_NORM_APPLY = 'XclrBatchNormApply';
export const BATCH_NORM_GRAD = 'XclrBatchNormGrad';

type Scratch = (shape: number[]) => TensorInfo;

const floats = (backend: HeapBackend, t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;

/** Rows and channels of x, the rows split into `groups` equal groups; null where they do not split. */
function channelsOf(x: TensorInfo, groups: number): { rows: number; channels: number } | null {
  if (x.dtype !== 'float32' || x.shape.length < 1 || !Number.isInteger(groups) || groups < 1) return null;
  const channels = x.shape[x.shape.length - 1];
  const size = x.shape.reduce((a, d) => a * d, 1);
  if (channels === 0 || size === 0 || (size / channels) % groups !== 0) return null;
  return { rows: size / channels, channels };
}

const sizeOf = (t: TensorInfo) => t.shape.reduce((a, d) => a * d, 1);

/**
 * channelsOf, with each of `statistics` (mean, variance) float32 of groups × C values and each of
 * `perChannel` (scale, offset) of C; rows per group. Null otherwise.
 */
function groupedInputs(
  x: TensorInfo,
  groups: number,
  statistics: TensorInfo[],
  perChannel: TensorInfo[],
): { rows: number; channels: number } | null {
  const dims = channelsOf(x, groups);
  if (dims == null) return null;
  const holds = (t: TensorInfo, values: number) => t.dtype === 'float32' && sizeOf(t) === values;
  if (!statistics.every((t) => holds(t, groups * dims.channels)) || !perChannel.every((t) => holds(t, dims.channels)))
    return null;
  return { rows: dims.rows / groups, channels: dims.channels };
}

/**
 * Per-channel sums over every row, in blocks, in JavaScript (channels not a multiple of 4; see
 * simdBlockSums): `step(r0, rows)` adds rows r0 … r0 + rows − 1 into the float32 `partials` (each
 * zeroed first), which are then added into float64 totals.
 */
function blockSums(rows: number, partials: Float32Array[], step: (r0: number, rows: number) => void): Float64Array[] {
  const totals = partials.map((p) => new Float64Array(p.length));
  for (let r0 = 0; r0 < rows; r0 += BLOCK_ROWS) {
    for (const p of partials) p.fill(0);
    step(r0, Math.min(BLOCK_ROWS, rows - r0));
    partials.forEach((p, k) => {
      const t = totals[k];
      for (let c = 0; c < p.length; c++) t[c] += p[c];
    });
  }
  return totals;
}

/**
 * XclrChannelMoments in one pass: Σ (x − s) and Σ (x − s)² per channel, shifted by the first row
 * s (a sample of each channel, so the variance's E[d²] − E[d]² does not cancel the way E[x²] −
 * E[x]² does when a channel's mean is far from 0). SIMD where channels are a multiple of 4.
 */
export function channelMomentsOnHeap(
  backend: HeapBackend,
  x: TensorInfo,
  scratch: Scratch,
  groups = 1,
): [TensorInfo, TensorInfo] | null {
  const dims = channelsOf(x, groups);
  if (dims == null) return null;
  const { channels } = dims;
  const rows = dims.rows / groups;
  const shape = groups === 1 ? [channels] : [groups, channels];
  const mean = backend.makeOutput(shape, 'float32');
  const variance = backend.makeOutput(shape, 'float32');
  const simd = channels % 4 === 0 ? heapSimdKernels(backend) : null;
  const [shiftT, sumT, sqT] = [scratch([channels]), scratch([channels]), scratch([channels])];
  const partials = simd != null ? [0, 1].map(() => scratch([blocksOf(rows), channels])) : [];
  const [shift, sum, sq] = [shiftT, sumT, sqT].map((t) => floats(backend, t));
  const [m, v] = [floats(backend, mean), floats(backend, variance)];
  for (let g = 0; g < groups; g++) {
    const xs = floats(backend, x).subarray(g * rows * channels, (g + 1) * rows * channels);
    shift.set(xs.subarray(0, channels));
    const [s1, s2] =
      simd != null
        ? simdBlockSums(backend, rows, channels, partials, 'channelMoments', (block, [a, b], n) => [
            xs.byteOffset + block * BLOCK_ROWS * channels * 4,
            shift.byteOffset,
            a,
            b,
            n,
            channels * 4,
          ])
        : blockSums(rows, [sum, sq], (r0, n) => {
            for (let i = r0 * channels, end = (r0 + n) * channels; i < end; i += channels) {
              for (let c = 0; c < channels; c++) {
                const d = xs[i + c] - shift[c];
                sum[c] += d;
                sq[c] += d * d;
              }
            }
          });
    for (let c = 0; c < channels; c++) {
      const d = s1[c] / rows;
      m[g * channels + c] = shift[c] + d;
      v[g * channels + c] = Math.max(0, s2[c] / rows - d * d);
    }
  }
  return [mean, variance];
}

/**
 * `out` = dy · a + (x − mean) · b + c over the rows of one group, per-channel a, b, c and mean
 * (heap arrays): SIMD in two shares where channels are a multiple of 4.
 */
function channelApply(
  backend: HeapBackend,
  simd: ReturnType<typeof heapSimdKernels>,
  at: { dy: Float32Array; x: Float32Array; out: Float32Array },
  perChannel: { mean: Float32Array; a: Float32Array; b: Float32Array; c: Float32Array },
  rows: number,
  channels: number,
): void {
  const { dy, x, out } = at;
  const { mean, a, b, c } = perChannel;
  const rowBytes = channels * 4;
  if (simd != null) {
    inTwoShares(backend, rows, rowBytes * 3, (first, count) => {
      const offset = first * rowBytes;
      return {
        name: 'channelGradApply',
        args: [
          dy.byteOffset + offset,
          x.byteOffset + offset,
          ...[mean, a, b, c].map((t) => t.byteOffset),
          out.byteOffset + offset,
          count,
          rowBytes,
        ],
      };
    });
    return;
  }
  for (let i = 0; i < rows * channels; i += channels) {
    for (let k = 0; k < channels; k++) out[i + k] = dy[i + k] * a[k] + (x[i + k] - mean[k]) * b[k] + c[k];
  }
}

/**
 * XclrBatchNormApply in one pass: y = (x − mean) · w + offset, w = scale / √(variance + ε), each
 * group with its own mean and variance.
 */
export function batchNormApplyOnHeap(
  backend: HeapBackend,
  inputs: { x: TensorInfo; mean: TensorInfo; variance: TensorInfo; scale: TensorInfo; offset: TensorInfo },
  epsilon: number,
  scratch: Scratch,
  groups = 1,
): TensorInfo | null {
  const { x, mean, variance, scale, offset } = inputs;
  const dims = groupedInputs(x, groups, [mean, variance], [scale, offset]);
  if (dims == null) return null;
  const { rows, channels } = dims;
  const y = backend.makeOutput(x.shape, 'float32');
  const simd = channels % 4 === 0 ? heapSimdKernels(backend) : null;
  const [zero, w, m] = [scratch([channels]), scratch([channels]), scratch([channels])].map((t) => floats(backend, t));
  zero.fill(0);
  const [ms, vs, s, o] = [mean, variance, scale, offset].map((t) => floats(backend, t));
  for (let g = 0; g < groups; g++) {
    for (let k = 0; k < channels; k++) {
      m[k] = ms[g * channels + k];
      w[k] = s[k] / Math.sqrt(vs[g * channels + k] + epsilon);
    }
    const part = (t: TensorInfo) => floats(backend, t).subarray(g * rows * channels, (g + 1) * rows * channels);
    // dy · 0 + (x − mean) · w + offset
    channelApply(backend, simd, { dy: part(x), x: part(x), out: part(y) }, { mean: m, a: zero, b: w, c: o }, rows, channels);
  }
  return y;
}

/**
 * XclrBatchNormGrad in two passes. With r = (variance + ε)^−½, x̂ = (x − mean) · r, n rows:
 * dOffset = Σ dy, dScale = r · Σ dy · (x − mean), and
 * dx = scale · r · (dy − Σ dy / n − x̂ · Σ dy · x̂ / n) = a · dy + b · (x − mean) + c per channel.
 */
export function batchNormGradOnHeap(
  backend: HeapBackend,
  inputs: { dy: TensorInfo; x: TensorInfo; mean: TensorInfo; variance: TensorInfo; scale: TensorInfo },
  epsilon: number,
  scratch: Scratch,
  groups = 1,
): [TensorInfo, TensorInfo, TensorInfo] | null {
  const { dy, x, mean, variance, scale } = inputs;
  const dims = groupedInputs(x, groups, [mean, variance], [scale]);
  if (dims == null || dy.dtype !== 'float32' || dy.shape.join() !== x.shape.join()) return null;
  const { rows, channels } = dims;
  const dx = backend.makeOutput(x.shape, 'float32');
  const dScale = backend.makeOutput([channels], 'float32');
  const dOffset = backend.makeOutput([channels], 'float32');
  const simd = channels % 4 === 0 ? heapSimdKernels(backend) : null;
  const coefficients = [0, 1, 2, 3, 4, 5].map(() => scratch([channels]));
  const partials = simd != null ? [0, 1].map(() => scratch([blocksOf(rows), channels])) : [];
  const [sumDy, sumDyXc, a, b, c, m] = coefficients.map((t) => floats(backend, t));
  const [ms, vs, g] = [mean, variance, scale].map((t) => floats(backend, t));
  const [ds, dOff] = [floats(backend, dScale), floats(backend, dOffset)];
  ds.fill(0);
  dOff.fill(0);
  const rowBytes = channels * 4;
  for (let group = 0; group < groups; group++) {
    const part = (t: TensorInfo) => floats(backend, t).subarray(group * rows * channels, (group + 1) * rows * channels);
    const [gs, xs, dxs] = [dy, x, dx].map(part);
    m.set(ms.subarray(group * channels, (group + 1) * channels));
    const [s1, s2] =
      simd != null
        ? simdBlockSums(backend, rows, channels, partials, 'channelGradSums', (block, [a, b], n) => [
            gs.byteOffset + block * BLOCK_ROWS * rowBytes,
            xs.byteOffset + block * BLOCK_ROWS * rowBytes,
            m.byteOffset,
            a,
            b,
            n,
            rowBytes,
          ])
        : blockSums(rows, [sumDy, sumDyXc], (r0, n) => {
            for (let i = r0 * channels, end = (r0 + n) * channels; i < end; i += channels) {
              for (let k = 0; k < channels; k++) {
                sumDy[k] += gs[i + k];
                sumDyXc[k] += gs[i + k] * (xs[i + k] - m[k]);
              }
            }
          });
    for (let k = 0; k < channels; k++) {
      const r = 1 / Math.sqrt(vs[group * channels + k] + epsilon);
      ds[k] += r * s2[k];
      dOff[k] += s1[k];
      a[k] = g[k] * r;
      b[k] = (-g[k] * r * r * r * s2[k]) / rows;
      c[k] = (-g[k] * r * s1[k]) / rows;
    }
    channelApply(backend, simd, { dy: gs, x: xs, out: dxs }, { mean: m, a, b, c }, rows, channels);
  }
  return [dx, dScale, dOffset];
}
