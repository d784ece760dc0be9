import { type Bytes, type FunctionDef, I32, op, V128, whileBelow } from './wasm-binary.js';

// Loops over `rows` rows of `channelBytes` bytes (channels × 4, a multiple of 16): a tensor whose
// last axis is its channels, as batch norm sees it. Per-channel arrays (channelBytes each) are
// read and accumulated in place, so the caller sums a block of rows at a time into float64.

/** `base + i`: an address. */
const at = (base: number, i: number): Bytes => [...op.get(base), ...op.get(i), ...op.i32Add];

/** Each of `pointers` moves on by one row. */
const nextRow = (pointers: number[], channelBytes: number): Bytes[] =>
  pointers.map((p) => [...op.get(p), ...op.get(channelBytes), ...op.i32Add, ...op.set(p)]);

/** `for r < rows: for c < channelBytes (by 16): body(c); pointers += channelBytes`. */
function rowsOfChannels(rows: number, channelBytes: number, r: number, c: number, pointers: number[], body: Bytes[]): Bytes[] {
  return [
    [...op.i32Const(0), ...op.set(r)],
    ...whileBelow(r, rows, 1, [
      [...op.i32Const(0), ...op.set(c)],
      ...whileBelow(c, channelBytes, 16, body),
      ...nextRow(pointers, channelBytes),
    ]),
  ];
}

/** `sum[c] += v` for the v128 on top of `value`, at per-channel array `base`. */
const accumulate = (base: number, c: number, value: Bytes): Bytes => [
  ...at(base, c),
  ...at(base, c),
  ...op.v128Load(),
  ...value,
  ...op.f32x4Add,
  ...op.v128Store(),
];

// channelMoments(x, shift, sum, sumSq, rows, channelBytes): sum += x − shift, sumSq += (x − shift)².
const [MX, MSHIFT, MSUM, MSQ, MROWS, MCB, MR, MC, MD] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
const channelMoments: FunctionDef = {
  name: 'channelMoments',
  params: [I32, I32, I32, I32, I32, I32],
  locals: [I32, I32, V128],
  body: rowsOfChannels(
    MROWS,
    MCB,
    MR,
    MC,
    [MX],
    [
      [...at(MX, MC), ...op.v128Load(), ...at(MSHIFT, MC), ...op.v128Load(), ...op.f32x4Sub, ...op.set(MD)],
      accumulate(MSUM, MC, op.get(MD)),
      accumulate(MSQ, MC, [...op.get(MD), ...op.get(MD), ...op.f32x4Mul]),
    ],
  ),
};

// channelGradSums(dy, x, mean, sumDy, sumDyXc, rows, channelBytes): sumDy += dy, sumDyXc += dy · (x − mean).
const [GDY, GX, GMEAN, GSUM, GSUMXC, GROWS, GCB, GR, GC, GG] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const channelGradSums: FunctionDef = {
  name: 'channelGradSums',
  params: [I32, I32, I32, I32, I32, I32, I32],
  locals: [I32, I32, V128],
  body: rowsOfChannels(
    GROWS,
    GCB,
    GR,
    GC,
    [GDY, GX],
    [
      [...at(GDY, GC), ...op.v128Load(), ...op.set(GG)],
      accumulate(GSUM, GC, op.get(GG)),
      accumulate(GSUMXC, GC, [
        ...[...op.get(GG), ...at(GX, GC), ...op.v128Load(), ...at(GMEAN, GC), ...op.v128Load()],
        ...[...op.f32x4Sub, ...op.f32x4Mul],
      ]),
    ],
  ),
};

// channelGradApply(dy, x, mean, a, b, c, out, rows, channelBytes): out = dy · a + (x − mean) · b + c.
const [ADY, AX, AMEAN, AA, AB, ACC, AOUT, AROWS, ACB, AR, AC] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const channelGradApply: FunctionDef = {
  name: 'channelGradApply',
  params: [I32, I32, I32, I32, I32, I32, I32, I32, I32],
  locals: [I32, I32],
  body: rowsOfChannels(
    AROWS,
    ACB,
    AR,
    AC,
    [ADY, AX, AOUT],
    [
      [...at(AOUT, AC)],
      [...at(ADY, AC), ...op.v128Load(), ...at(AA, AC), ...op.v128Load(), ...op.f32x4Mul],
      [...at(AX, AC), ...op.v128Load(), ...at(AMEAN, AC), ...op.v128Load(), ...op.f32x4Sub],
      [...at(AB, AC), ...op.v128Load(), ...op.f32x4Mul, ...op.f32x4Add],
      [...at(ACC, AC), ...op.v128Load(), ...op.f32x4Add, ...op.v128Store()],
    ],
  ),
};

// channelSums(x, sum, rows, channelBytes): sum += x, per channel.
const [SX, SSUM, SROWS, SCB, SR, SC] = [0, 1, 2, 3, 4, 5];
const channelSums: FunctionDef = {
  name: 'channelSums',
  params: [I32, I32, I32, I32],
  locals: [I32, I32],
  body: rowsOfChannels(SROWS, SCB, SR, SC, [SX], [accumulate(SSUM, SC, [...at(SX, SC), ...op.v128Load()])]),
};

export const CHANNEL_LOOPS: FunctionDef[] = [channelMoments, channelGradSums, channelGradApply, channelSums];

/** Byte addresses on the heap; `channelBytes` = channels × 4, a multiple of 16. */
export interface ChannelLoops {
  /** Over `rows` rows at x: sum += x − shift and sumSq += (x − shift)², per channel. */
  channelMoments(x: number, shift: number, sum: number, sumSq: number, rows: number, channelBytes: number): void;
  /** Over `rows` rows at x: sum += x, per channel. */
  channelSums(x: number, sum: number, rows: number, channelBytes: number): void;
  /** Over `rows` rows at dy and x: sumDy += dy and sumDyXc += dy · (x − mean), per channel. */
  channelGradSums(dy: number, x: number, mean: number, sumDy: number, sumDyXc: number, rows: number, channelBytes: number): void;
  /** Over `rows` rows: out = dy · a + (x − mean) · b + c, with per-channel a, b, c and mean. */
  channelGradApply(
    dy: number,
    x: number,
    mean: number,
    a: number,
    b: number,
    c: number,
    out: number,
    rows: number,
    channelBytes: number,
  ): void;
}
