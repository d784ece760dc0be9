import { asHeapBackend } from '../core/heap.js';
import { copyRun } from '../core/heap-copy.js';
import type { KernelCall, TensorInfo } from '../core/kernel-call.js';
import type { ConvGeometry } from '../core/phase-grid.js';

// Input gradient of a strided convolution, one stride-1 convolution per phase of the input.
// dX[y] = Σ_i dY[(y + top − i) / s] · W[i] over the taps i that make the division exact. For the
// input rows y = s·Y + p (phase p) those taps are i ≡ p + top (mod s), a fixed subset of the
// filter: each phase is a plain convolution of dY with that sub-filter, flipped and with input and
// output channels swapped. Together the phases do the forward pass's multiply-adds once. The usual
// composition (dY dilated with s − 1 zeros, then one convolution) does s_h · s_w times as many,
// against zeros, and its effective rate fell far below the forward pass's.
// Timings: packages/kernels/README.md, "What it changes on wasm".

interface PhasePlan {
  /** Filter taps of this phase, in the order the stride-1 convolution applies them (flipped). */
  taps: number[];
  /** Input rows (or columns) in this phase: y = s·Y + p for Y < length. */
  length: number;
  /** Zero rows before / after dY; negative: rows of dY cropped. */
  before: number;
  after: number;
}

function phasePlan(p: number, stride: number, filter: number, pad: number, outLength: number, inLength: number): PhasePlan {
  const r = (p + pad) % stride;
  const q = Math.floor((p + pad) / stride);
  const count = r < filter ? Math.ceil((filter - r) / stride) : 0;
  const taps = Array.from({ length: count }, (_, k) => stride * (count - 1 - k) + r);
  const length = Math.max(0, Math.ceil((inLength - p) / stride));
  return { taps, length, before: count - 1 - q, after: length + q - outLength };
}

/** Filter slabs [C, O] at the given taps: `[rows.length, cols.length, C, O]`. */
function subFilter(call: KernelCall, filter: TensorInfo, rows: number[], cols: number[]): TensorInfo {
  const [, fw, c, o] = filter.shape;
  const heap = asHeapBackend(call.backend);
  const out = call.track(heap.makeOutput([rows.length, cols.length, c, o], 'float32'));
  // Views taken after makeOutput: allocating may grow (and so replace) the heap buffer.
  const src = heap.typedArrayFromHeap(filter);
  const dst = heap.typedArrayFromHeap(out);
  const slab = c * o;
  let at = 0;
  for (const i of rows) {
    for (const j of cols) {
      copyRun(dst, at, src, (i * fw + j) * slab, slab);
      at += slab;
    }
  }
  return out;
}

function zeros(call: KernelCall, shape: number[]): TensorInfo {
  return call.run('Fill', {}, { shape, value: 0, dtype: 'float32' });
}

/** dX for one phase: `[N, rows.length, cols.length, C]`. */
function phaseGradient(call: KernelCall, dy: TensorInfo, filter: TensorInfo, rows: PhasePlan, cols: PhasePlan): TensorInfo {
  const [n, ho, wo] = dy.shape;
  const c = filter.shape[2];
  const shape = [n, rows.length, cols.length, c];
  const top = Math.max(-rows.before, 0);
  const left = Math.max(-cols.before, 0);
  const height = ho - top + Math.min(rows.after, 0);
  const width = wo - left + Math.min(cols.after, 0);
  if (rows.taps.length === 0 || cols.taps.length === 0 || rows.length === 0 || cols.length === 0 || height <= 0 || width <= 0) {
    return zeros(call, shape);
  }
  const input = height === ho && width === wo ? dy : call.slice(dy, [0, top, left, 0], [n, height, width, dy.shape[3]]);
  const flipped = call.transpose(subFilter(call, filter, rows.taps, cols.taps), [0, 1, 3, 2]);
  const pad = [
    [0, 0],
    [Math.max(rows.before, 0), Math.max(rows.after, 0)],
    [Math.max(cols.before, 0), Math.max(cols.after, 0)],
    [0, 0],
  ];
  const out = call.run('Conv2D', { x: input, filter: flipped }, {
    strides: [1, 1],
    pad,
    dataFormat: 'NHWC',
    dilations: [1, 1],
  } as never);
  if (out.shape[1] !== rows.length || out.shape[2] !== cols.length) {
    throw new Error(`@xclr/kernels: Conv2DBackpropInput phase produced [${out.shape}], expected [${shape}]`);
  }
  return out;
}

/** Conv2DBackpropInput (NHWC, dilation 1) for any stride and padding. */
export function inputGradientByPhases(
  call: KernelCall,
  dy: TensorInfo,
  filter: TensorInfo,
  g: ConvGeometry,
  inputShape: number[],
): TensorInfo {
  const [n, h, w, c] = inputShape;
  const [fh, fw] = filter.shape;
  const rowPlans = Array.from({ length: g.sh }, (_, p) => phasePlan(p, g.sh, fh, g.top, g.ho, h));
  const colPlans = Array.from({ length: g.sw }, (_, p) => phasePlan(p, g.sw, fw, g.left, g.wo, w));
  if (g.sh === 1 && g.sw === 1) return call.final('Identity', { x: phaseGradient(call, dy, filter, rowPlans[0], colPlans[0]) });
  // Interleave: phase (p, q) holds dX[s_h·Y + p, s_w·X + q]. Pad every phase to the largest
  // (hc × wc), stack the column phases inside each row ([N, hc, wc, s_w, C] is [N, hc, wc·s_w, C]
  // interleaved), then the row phases ([N, hc, s_h, wc·s_w·C] is [N, hc·s_h, …]), and crop.
  const hc = Math.ceil(h / g.sh);
  const wc = Math.ceil(w / g.sw);
  const rowsOfPhases = rowPlans.map((rows) => {
    const columns = colPlans.map((cols) => {
      const phase = call.padBottomRight(phaseGradient(call, dy, filter, rows, cols), hc, wc);
      return call.reshape(phase, [n, hc, wc, 1, c]);
    });
    const row = g.sw === 1 ? columns[0] : call.run('Concat', columns as never, { axis: 3 });
    return call.reshape(row, [n, hc, 1, wc * g.sw * c]);
  });
  const stacked = g.sh === 1 ? rowsOfPhases[0] : call.run('Concat', rowsOfPhases as never, { axis: 2 });
  const full = call.reshape(stacked, [n, hc * g.sh, wc * g.sw, c]);
  if (hc * g.sh === h && wc * g.sw === w) return call.final('Identity', { x: full });
  return call.final('Slice', { x: full }, { begin: [0, 0, 0, 0], size: [n, h, w, c] });
}
