import { type Bytes, type FunctionDef, I32, op, V128, whileBelow } from './wasm-binary.js';

// A convolution with few input channels, its ReLU and a 2 × 2 max pool in one pass, and its filter
// gradient from the pooled gradient: the full-size output (the largest tensor of a small ConvNet)
// is never written or read back. Each call handles one row of pooled outputs, 8 output channels
// (two vectors) at a time for the four positions of a window: eight accumulators, which the
// 16 vector registers of x64 hold with the weights and the input value splat beside them.

/** `base + i`: an address. */
const at = (base: number, i: number): Bytes => [...op.get(base), ...op.get(i), ...op.i32Add];

/** `p += by` for a local address p and a local step. */
const advance = (p: number, by: number): Bytes => [...op.get(p), ...op.get(by), ...op.i32Add, ...op.set(p)];

/** `acc += s · w` for v128 locals. */
const multiplyAdd = (acc: number, s: number, w: number): Bytes => [
  ...op.get(acc),
  ...op.get(s),
  ...op.get(w),
  ...op.f32x4Mul,
  ...op.f32x4Add,
  ...op.set(acc),
];

// Shared parameters: x (the input at the window row's first pixel), then per function its own
// addresses, then cols (pooled outputs in the row), pixelBytes (input channels × 4), rowBytes (an
// input row), fh (filter rows), tapBytes (fw × input channels × 4: one filter row's taps, which
// lie contiguous in an NHWC row) and channelBytes (output channels × 4, a multiple of 32).
const POSITIONS = 4;

/**
 * The input value of tap `r` (a byte offset into the filter row's taps) for each window position,
 * splat into local `s`: at a0 = xr + r, a0 + pixelBytes, a0 + rowBytes, a0 + rowBytes + pixelBytes.
 */
function splatPosition(p: number, a0: number, pix: number, row: number, s: number): Bytes {
  const address = [...op.get(a0)];
  if (p >= 2) address.push(...op.get(row), ...op.i32Add);
  if (p % 2 === 1) address.push(...op.get(pix), ...op.i32Add);
  return [...address, ...op.v128Load32Splat(), ...op.set(s)];
}

// Both functions' parameters and locals: x, four addresses of their own, then the shared sizes;
// loop counters and moving addresses; 14 vectors of their own (S, the input value splat, shared).
const [X, COLS, PIX, ROW, FH, TAPS, CH] = [0, 5, 6, 7, 8, 9, 10];
const [J, CB, KH, R, PX, XR, WP, A0, YO] = [11, 12, 13, 14, 15, 16, 17, 18, 19];
const S = 30;
const LOCALS = [...new Array(9).fill(I32), ...new Array(14).fill(V128)];

/** For each pooled output j of the row (its window at PX, its outputs at byte offset YO) and each group of 8 channels (CB): `group`. */
const overPooledRow = (group: Bytes[]): Bytes[] => [
  [...op.get(X), ...op.set(PX), ...op.i32Const(0), ...op.set(YO), ...op.i32Const(0), ...op.set(J)],
  ...whileBelow(J, COLS, 1, [
    [...op.i32Const(0), ...op.set(CB)],
    ...whileBelow(CB, CH, 32, group),
    advance(YO, CH),
    advance(PX, PIX),
    advance(PX, PIX),
  ]),
];

/**
 * For each tap of the filter (row kh, offset r into its taps), with WP at the tap's 8 channels of
 * the filter (or its gradient) at `filter`: `load`, then for each window position p the input
 * value under the tap splat into S and `perPosition(p)`, then `store`.
 */
const overTaps = (filter: number, load: Bytes, perPosition: (p: number) => Bytes, store: Bytes): Bytes[] => [
  [...at(filter, CB), ...op.set(WP), ...op.get(PX), ...op.set(XR), ...op.i32Const(0), ...op.set(KH)],
  ...whileBelow(KH, FH, 1, [
    [...op.i32Const(0), ...op.set(R)],
    ...whileBelow(R, TAPS, 4, [
      load,
      [...at(XR, R), ...op.set(A0)],
      ...Array.from({ length: POSITIONS }, (_, p) => [...splatPosition(p, A0, PIX, ROW, S), ...perPosition(p)]),
      store,
      advance(WP, CH),
    ]),
    advance(XR, ROW),
  ]),
];

// pooledConvRow(x, w, bias, y, argmax, cols, pixelBytes, rowBytes, fh, tapBytes, channelBytes)
const [W, BIAS, Y, ARG] = [1, 2, 3, 4];
/** Accumulator of window position p, vector v (channels cb + 4v …). */
const ACC = (p: number, v: number) => 20 + 2 * p + v;
const [W0, W1, BEST, IDX, M] = [28, 29, 31, 32, 33];

/** Lane k's position p (0 … 3) as p · 4ᵏ: four channels' positions in one byte, exact also as a float. */
const PLACES: [number, number, number, number] = [1, 4, 16, 64];
/** The 8-byte halves swapped, then the 4-byte quarters within each half: two steps of an OR across the lanes. */
const SWAP_HALVES = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
const SWAP_QUARTERS = [4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11];
/** Lane k of a packed byte splat to every lane: its position times 4ᵏ. */
const LANE_BITS: [number, number, number, number] = [3, 12, 48, 192];

/** The packed positions of the outputs at byte offset yo + cb: arg + (yo + cb) / 4. */
const packedAddress = (arg: number, yo: number, cb: number): Bytes => [
  ...op.get(arg),
  ...op.get(yo),
  ...op.get(cb),
  ...op.i32Add,
  ...op.i32Const(2),
  ...op.i32ShrU,
  ...op.i32Add,
];

/** Max over the window's positions of vector v, first position on ties; ReLU; stored with its position. */
function poolVector(v: number): Bytes[] {
  const out: Bytes[] = [[...op.get(ACC(0, v)), ...op.set(BEST), ...op.v128Zero, ...op.set(IDX)]];
  for (let p = 1; p < POSITIONS; p++) {
    out.push([...op.get(ACC(p, v)), ...op.get(BEST), ...op.f32x4Gt, ...op.set(M)]);
    out.push([...op.get(ACC(p, v)), ...op.get(BEST), ...op.get(M), ...op.v128Bitselect, ...op.set(BEST)]);
    out.push([...op.i32x4Lanes(p, p, p, p), ...op.get(IDX), ...op.get(M), ...op.v128Bitselect, ...op.set(IDX)]);
  }
  // ReLU after the max: max(relu(a)) = relu(max(a)), and where the max is ≤ 0 no gradient passes.
  out.push([...op.get(Y), ...op.get(YO), ...op.i32Add, ...op.get(CB), ...op.i32Add]);
  out.push([...op.v128Zero, ...op.get(BEST), ...op.f32x4Pmax, ...op.v128Store(16 * v)]);
  // the four positions as one int32 p₀ + 4p₁ + 16p₂ + 64p₃: a quarter of the bytes to write and read back
  out.push([...packedAddress(ARG, YO, CB), ...op.get(IDX), ...op.i32x4Lanes(...PLACES), ...op.i32x4Mul, ...op.set(IDX)]);
  for (const swap of [SWAP_HALVES, SWAP_QUARTERS]) {
    out.push([...op.get(IDX), ...op.get(IDX), ...op.get(IDX), ...op.i8x16Shuffle(swap), ...op.v128Or, ...op.set(IDX)]);
  }
  out.push([...op.get(IDX), ...op.i32x4ExtractLane(0), ...op.i32Store(4 * v)]);
  return out;
}

const pooledConvRow: FunctionDef = {
  name: 'pooledConvRow',
  params: new Array(11).fill(I32),
  locals: LOCALS,
  body: overPooledRow([
    ...[0, 1].flatMap((v) =>
      Array.from({ length: POSITIONS }, (_, p) => [...at(BIAS, CB), ...op.v128Load(16 * v), ...op.set(ACC(p, v))]),
    ),
    ...overTaps(
      W,
      [...op.get(WP), ...op.v128Load(), ...op.set(W0), ...op.get(WP), ...op.v128Load(16), ...op.set(W1)],
      (p) => [...multiplyAdd(ACC(p, 0), S, W0), ...multiplyAdd(ACC(p, 1), S, W1)],
      [],
    ),
    ...poolVector(0),
    ...poolVector(1),
  ]),
};

// pooledConvFilterGradRow(x, dy, y, argmax, dw, cols, pixelBytes, rowBytes, fh, tapBytes, channelBytes):
// dw[tap, c] += x at the window position argmax[c] (+ tap) · dy[c], where the pooled output y > 0.
const [DY, GY, GARG, DW] = [1, 2, 3, 4];
/** dy of window position p (dy where argmax = p, else 0), vector v. */
const G = (p: number, v: number) => 20 + 2 * p + v;
const [T0, T1, D0, D1, GA] = [28, 29, 31, 32, 33];
const D = [D0, D1];

/** The pooled gradient of vector v where y > 0 (ReLU's gradient), into D[v]. */
const maskedGradient = (v: number): Bytes => [
  ...at(DY, YO),
  ...op.get(CB),
  ...op.i32Add,
  ...op.v128Load(16 * v),
  ...at(GY, YO),
  ...op.get(CB),
  ...op.i32Add,
  ...op.v128Load(16 * v),
  ...op.v128Zero,
  ...op.f32x4Gt,
  ...op.v128And,
  ...op.set(D[v]),
];

/** G(p, v) = D[v] where argmax = p. */
function splitByPosition(v: number): Bytes[] {
  return [
    [...packedAddress(GARG, YO, CB), ...op.v128Load32Splat(4 * v), ...op.i32x4Lanes(...LANE_BITS), ...op.v128And, ...op.set(GA)],
    ...Array.from({ length: POSITIONS }, (_, p) => [
      ...op.get(D[v]),
      ...op.get(GA),
      ...op.i32x4Lanes(p, 4 * p, 16 * p, 64 * p),
      ...op.i32x4Eq,
      ...op.v128And,
      ...op.set(G(p, v)),
    ]),
  ];
}

const pooledConvFilterGradRow: FunctionDef = {
  name: 'pooledConvFilterGradRow',
  params: new Array(11).fill(I32),
  locals: LOCALS,
  body: overPooledRow([
    maskedGradient(0),
    maskedGradient(1),
    // Nothing to add where all eight channels' gradients are 0 (ReLU zeros, most often).
    [...op.block, ...op.get(D0), ...op.get(D1), ...op.v128Or, ...op.v128AnyTrue, ...op.i32Eqz, ...op.brIf(0)],
    ...splitByPosition(0),
    ...splitByPosition(1),
    ...overTaps(
      DW,
      [...op.get(WP), ...op.v128Load(), ...op.set(T0), ...op.get(WP), ...op.v128Load(16), ...op.set(T1)],
      (p) => [...multiplyAdd(T0, S, G(p, 0)), ...multiplyAdd(T1, S, G(p, 1))],
      [...op.get(WP), ...op.get(T0), ...op.v128Store(), ...op.get(WP), ...op.get(T1), ...op.v128Store(16)],
    ),
    [...op.end],
  ]),
};

export const POOLED_CONV_LOOPS: FunctionDef[] = [pooledConvRow, pooledConvFilterGradRow];

/**
 * Byte addresses on the heap. `x`: the input (NHWC) at the first pixel of the pooled row's window
 * rows; `w`: the filter [fh, fw, c, o]; per-row arrays (`y`, `argmax`, `dy`) at the pooled row's
 * first output. `pixelBytes` = c · 4, `rowBytes` = input width · c · 4, `tapBytes` = fw · c · 4,
 * `channelBytes` = o · 4 (a multiple of 32). Windows are 2 × 2 with stride 2; the convolution has
 * stride 1 and no padding.
 */
export interface PooledConvLoops {
  /**
   * One row of `cols` pooled outputs: y = ReLU(max over the window of (conv(x, w) + bias)) and
   * the window position of that max (0 … 3, row-major, the first on ties), packed four channels
   * to an int32 at `argmax` (p₀ + 4p₁ + 16p₂ + 64p₃; `argmax` at the row's first int32).
   */
  pooledConvRow(
    x: number,
    w: number,
    bias: number,
    y: number,
    argmax: number,
    cols: number,
    pixelBytes: number,
    rowBytes: number,
    fh: number,
    tapBytes: number,
    channelBytes: number,
  ): void;
  /**
   * Adds one pooled row's share of the filter gradient to `dw` [fh, fw, c, o]: for each output
   * with y > 0, dy times the input under each tap at the window position `argmax`.
   */
  pooledConvFilterGradRow(
    x: number,
    dy: number,
    y: number,
    argmax: number,
    dw: number,
    cols: number,
    pixelBytes: number,
    rowBytes: number,
    fh: number,
    tapBytes: number,
    channelBytes: number,
  ): void;
}
