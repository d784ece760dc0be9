import type { HeapBackend } from '../core/heap.js';
import type { TensorInfo } from '../core/kernel-call.js';
import { inTwoShares } from '../simd/simd-helper.js';
import { heapSimdKernels } from '../simd/simd-kernels.js';

/**
 * Wasm kernels this package adds, which `@xclr/models`' batchNormTraining uses where they are
 * registered (it composes the same from tfjs ops elsewhere). XclrChannelMoments: input `x`
 * (float32, channels on the last axis); outputs the mean and the biased variance of each channel
 * ([C] each), as tf.moments over every other axis. XclrBatchNormGrad: inputs `dy`, `x`, `mean`,
 * `variance` and `scale` ([C]), attribute `varianceEpsilon`; outputs the gradients of
 * y = (x − mean(x)) / √(variance(x) + ε) · scale + offset with respect to x (the batch statistics
 * depending on x, as in training), scale and offset.
 */
export const CHANNEL_MOMENTS = 'XclrChannelMoments';
export const BATCH_NORM_GRAD = 'XclrBatchNormGrad';

// Rows summed in float32 by one SIMD call before the partial sums go into float64: the float32
// error stays that of a block, not of the whole batch.
const BLOCK_ROWS = 128;

type Scratch = (shape: number[]) => TensorInfo;

const floats = (backend: HeapBackend, t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;

function channelsOf(x: TensorInfo): { rows: number; channels: number } | null {
  if (x.dtype !== 'float32' || x.shape.length < 1) return null;
  const channels = x.shape[x.shape.length - 1];
  const size = x.shape.reduce((a, d) => a * d, 1);
  if (channels === 0 || size === 0) return null;
  return { rows: size / channels, channels };
}

/**
 * Per-channel sums over every row, in blocks: `step(r0, rows)` adds rows r0 … r0 + rows − 1 into
 * the float32 `partials` (each zeroed first), which are then added into float64 totals.
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
export function channelMomentsOnHeap(backend: HeapBackend, x: TensorInfo, scratch: Scratch): [TensorInfo, TensorInfo] | null {
  const dims = channelsOf(x);
  if (dims == null) return null;
  const { rows, channels } = dims;
  const mean = backend.makeOutput([channels], 'float32');
  const variance = backend.makeOutput([channels], 'float32');
  const simd = channels % 4 === 0 ? heapSimdKernels(backend) : null;
  const [shiftT, sumT, sqT] = [scratch([channels]), scratch([channels]), scratch([channels])];
  const xs = floats(backend, x);
  const [shift, sum, sq] = [shiftT, sumT, sqT].map((t) => floats(backend, t));
  shift.set(xs.subarray(0, channels));
  const [s1, s2] = blockSums(rows, [sum, sq], (r0, n) => {
    if (simd != null) {
      simd.channelMoments(xs.byteOffset + r0 * channels * 4, shift.byteOffset, sum.byteOffset, sq.byteOffset, n, channels * 4);
      return;
    }
    for (let i = r0 * channels, end = (r0 + n) * channels; i < end; i += channels) {
      for (let c = 0; c < channels; c++) {
        const d = xs[i + c] - shift[c];
        sum[c] += d;
        sq[c] += d * d;
      }
    }
  });
  const [m, v] = [floats(backend, mean), floats(backend, variance)];
  for (let c = 0; c < channels; c++) {
    const d = s1[c] / rows;
    m[c] = shift[c] + d;
    v[c] = Math.max(0, s2[c] / rows - d * d);
  }
  return [mean, variance];
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
): [TensorInfo, TensorInfo, TensorInfo] | null {
  const { dy, x, mean, variance, scale } = inputs;
  const dims = channelsOf(x);
  if (dims == null || dy.dtype !== 'float32' || dy.shape.join() !== x.shape.join()) return null;
  const { rows, channels } = dims;
  const perChannel = [mean, variance, scale];
  if (perChannel.some((t) => t.dtype !== 'float32' || t.shape.reduce((a, d) => a * d, 1) !== channels)) return null;
  const dx = backend.makeOutput(x.shape, 'float32');
  const dScale = backend.makeOutput([channels], 'float32');
  const dOffset = backend.makeOutput([channels], 'float32');
  const simd = channels % 4 === 0 ? heapSimdKernels(backend) : null;
  const coefficients = [scratch([channels]), scratch([channels]), scratch([channels]), scratch([channels]), scratch([channels])];
  const [sumDy, sumDyXc, a, b, c] = coefficients.map((t) => floats(backend, t));
  const [gs, xs, dxs] = [dy, x, dx].map((t) => floats(backend, t));
  const [m, v, g] = perChannel.map((t) => floats(backend, t));
  const rowBytes = channels * 4;
  const [s1, s2] = blockSums(rows, [sumDy, sumDyXc], (r0, n) => {
    if (simd != null) {
      const at = r0 * rowBytes;
      simd.channelGradSums(
        gs.byteOffset + at,
        xs.byteOffset + at,
        m.byteOffset,
        sumDy.byteOffset,
        sumDyXc.byteOffset,
        n,
        rowBytes,
      );
      return;
    }
    for (let i = r0 * channels, end = (r0 + n) * channels; i < end; i += channels) {
      for (let k = 0; k < channels; k++) {
        sumDy[k] += gs[i + k];
        sumDyXc[k] += gs[i + k] * (xs[i + k] - m[k]);
      }
    }
  });
  const [ds, dOff] = [floats(backend, dScale), floats(backend, dOffset)];
  for (let k = 0; k < channels; k++) {
    const r = 1 / Math.sqrt(v[k] + epsilon);
    ds[k] = r * s2[k];
    dOff[k] = s1[k];
    a[k] = g[k] * r;
    b[k] = (-g[k] * r * r * r * s2[k]) / rows;
    c[k] = (-g[k] * r * s1[k]) / rows;
  }
  if (simd != null) {
    inTwoShares(backend, rows, rowBytes * 3, (first, count) => {
      const at = first * rowBytes;
      const perChannel = [m, a, b, c].map((t) => t.byteOffset);
      return {
        name: 'channelGradApply',
        args: [gs.byteOffset + at, xs.byteOffset + at, ...perChannel, dxs.byteOffset + at, count, rowBytes],
      };
    });
  } else {
    for (let i = 0; i < rows * channels; i += channels) {
      for (let k = 0; k < channels; k++) dxs[i + k] = gs[i + k] * a[k] + (xs[i + k] - m[k]) * b[k] + c[k];
    }
  }
  return [dx, dScale, dOffset];
}
