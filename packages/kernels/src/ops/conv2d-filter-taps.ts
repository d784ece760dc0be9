import { asHeapBackend } from '../core/heap.js';
import type { KernelCall, TensorInfo } from '../core/kernel-call.js';
import { type ConvGeometry, phaseGrid, phasesTransposed, tapWindows } from '../core/phase-grid.js';

// Filter gradient as plain matmuls: dW[i, j, c, o] = Σ_p patchesᵀ[(i, j, c), p] · dY[p, o], the
// contraction running over every output position p. With the patches built transposed (one
// contiguous window of a phase grid per tap and channel, see phase-grid.ts) and dY in its natural
// layout, XNNPACK multiplies [fh·fw·C, P] × [P, O] without a transpose.
//
// XNNPACK packs its right operand (here a block of dY) again for every new tensor, on one thread,
// amortised over the fh·fw·C rows of the patches. Blocks of positions bound the patch matrix's
// memory, and measured faster than one matmul over all positions.
// Timings behind the thresholds below: packages/kernels/README.md, "What it changes on wasm".

/** Positions per matmul: memory of one block is fh·fw·C·BLOCK floats. */
const BLOCK = 4096;

/**
 * XNNPACK's packing of each dY block is amortised over the fh·fw·C rows of the patches: with
 * fewer rows than this the Conv2D composition was faster (a 3 × 3 × 32 → 64 layer, 288 rows,
 * trained slower through the taps; ResNet-18's 3 × 3 × 64, 576 rows, faster).
 */
export const TAPS_MIN_PATCH = 512;

/**
 * Positions of the phase grid that are padding, not output, cost multiply-adds against zeros:
 * above this ratio of grid to output positions (4 × 4 maps with a 3 × 3 filter: 2.25) the Conv2D
 * composition is used instead (8 × 8 maps, ratio 1.56, ran slower through the taps).
 */
export const MAX_GRID_WASTE = 1.4;

export function gridWaste(g: ConvGeometry): number {
  const { hq, wq } = phaseGrid(g);
  return (hq * wq) / (g.ho * g.wo);
}

/** Conv2DBackpropFilter (NHWC, dilation 1) through transposed patches and one matmul per block of positions. */
export function filterGradientByTaps(call: KernelCall, x: TensorInfo, dy: TensorInfo, g: ConvGeometry): TensorInfo {
  const [n, , , c] = x.shape;
  const o = dy.shape[3];
  const { hq, wq } = phaseGrid(g);
  const grid = n * hq * wq;
  // The last positions of the grid would read past its end; they are padding (dY is zero there).
  const length = grid - Math.floor((g.fh - 1) / g.sh) * wq - Math.floor((g.fw - 1) / g.sw);
  const phases = phasesTransposed(call, x, g);
  const dyRows = call.reshape(call.padBottomRight(dy, hq, wq), [grid, o]);
  const k = g.fh * g.fw * c;
  let sum: TensorInfo | null = null;
  for (let start = 0; start < length; start += BLOCK) {
    const size = Math.min(BLOCK, length - start);
    const patches = call.track(tapWindows(asHeapBackend(call.backend), phases, g, start, size));
    const dyBlock = call.slice(dyRows, [start, 0], [size, o]);
    const part = call.run(
      'BatchMatMul',
      { a: call.reshape(patches, [1, k, size]), b: call.reshape(dyBlock, [1, size, o]) },
      { transposeA: false, transposeB: false },
    );
    sum = sum == null ? part : call.run('Add', { a: sum, b: part });
  }
  return call.final('Reshape', { x: sum as TensorInfo }, { shape: [g.fh, g.fw, c, o] });
}
