import type { HeapBackend } from './heap.js';
import { copyRun } from './heap-copy.js';
import type { KernelCall, TensorInfo } from './kernel-call.js';

// A strided convolution reads input row y·s + i − top for output row y and filter tap i. Split the
// padded input into s × s phases, phase (a, b) holding the rows ≡ a and columns ≡ b (mod s): tap
// (i, j) then reads phase (i mod s, j mod s) at row y + ⌊i/s⌋ and column x + ⌊j/s⌋, a stride-1
// shift. On one phase's flattened grid (n, Y, X) ↦ (n·hq + Y)·wq + X that shift is a constant
// offset, so every tap's input is a *contiguous* window of the phase: no per-pixel gather.

export interface ConvGeometry {
  fh: number;
  fw: number;
  sh: number;
  sw: number;
  top: number;
  left: number;
  ho: number;
  wo: number;
}

/** Rows and columns of one phase's grid: the output's plus the filter's reach in the phase. */
export function phaseGrid(g: ConvGeometry): { hq: number; wq: number } {
  return { hq: g.ho + Math.floor((g.fh - 1) / g.sh), wq: g.wo + Math.floor((g.fw - 1) / g.sw) };
}

/**
 * The input padded (or cropped) to the phase grids and transposed to `[sh, sw, C, N·hq·wq]`:
 * phase (a, b), channel c is one contiguous row.
 */
export function phasesTransposed(call: KernelCall, x: TensorInfo, g: ConvGeometry): TensorInfo {
  const [n, h, w, c] = x.shape;
  const { hq, wq } = phaseGrid(g);
  const rows = hq * g.sh;
  const cols = wq * g.sw;
  let input = x;
  const bottom = rows - h - g.top;
  const right = cols - w - g.left;
  if (bottom < 0 || right < 0) {
    input = call.slice(x, [0, 0, 0, 0], [n, h + Math.min(bottom, 0), w + Math.min(right, 0), c]);
  }
  if (g.top > 0 || g.left > 0 || bottom > 0 || right > 0) {
    const paddings = [
      [0, 0],
      [g.top, Math.max(bottom, 0)],
      [g.left, Math.max(right, 0)],
      [0, 0],
    ];
    input = call.run('PadV2', { x: input }, { paddings, constantValue: 0 } as never);
  }
  const spread = call.reshape(input, [n, hq, g.sh, wq, g.sw, c]);
  return call.transpose(spread, [2, 4, 5, 0, 1, 3]);
}

/**
 * Transposed patches for positions [start, start + length) of the phase grid: `[fh · fw · C,
 * length]`, row (i, j, c) holding channel c of the input that tap (i, j) reads at each position.
 * `phases` comes from `phasesTransposed`; each row is one copy of `length` floats.
 */
export function tapWindows(backend: HeapBackend, phases: TensorInfo, g: ConvGeometry, start: number, length: number): TensorInfo {
  const [, , c, n, hq, wq] = phases.shape;
  const grid = n * hq * wq;
  const out = backend.makeOutput([g.fh * g.fw * c, length], 'float32');
  // Views taken after makeOutput: allocating may grow (and so replace) the heap buffer.
  const src = backend.typedArrayFromHeap(phases);
  const dst = backend.typedArrayFromHeap(out);
  let at = 0;
  for (let i = 0; i < g.fh; i++) {
    for (let j = 0; j < g.fw; j++) {
      const phase = (i % g.sh) * g.sw + (j % g.sw);
      const offset = start + Math.floor(i / g.sh) * wq + Math.floor(j / g.sw);
      for (let ch = 0; ch < c; ch++, at += length) copyRun(dst, at, src, (phase * c + ch) * grid + offset, length);
    }
  }
  return out;
}
