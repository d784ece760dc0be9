import { type Bytes, type FunctionDef, I32, op, V128, whileBelow } from './wasm-binary.js';
import { VECTOR_EXP_CONSTANTS, vectorExpNonPositive, vectorExpSetUp } from './vector-exp.js';

// The row loops of a soft-target cross-entropy over [R, C] logits x and targets t (float32, rows
// `rowBytes` apart), each over every row in one call, on the first `vectorBytes` bytes of each
// row (C rounded down to a multiple of 4; the caller does the rest). With `selfShift` k ≥ 0, row
// r's column r + k (when it lies in those bytes) is masked in its vector: −∞ for the max, 0 for
// exp; with k = −1 nothing is.

/** `self`: row r's excluded column r + k as a byte offset in its row, −1 (never matched) otherwise. */
function selfOffset(row: number, vectorBytes: number, shift: number, self: number): Bytes {
  const column = [...op.get(row), ...op.get(shift), ...op.i32Add, ...op.i32Const(2), ...op.i32Shl];
  return [
    ...[...column, ...op.i32Const(-1)],
    ...[...op.get(shift), ...op.i32Const(0), ...op.i32GeS, ...column, ...op.get(vectorBytes), ...op.i32LtU, ...op.i32And],
    ...op.select,
    ...op.set(self),
  ];
}

/** All ones in the lane of the vector at byte offset `i` that holds the self column. */
const selfLane = (i: number, lanes: number, selfSplat: number): Bytes => [
  ...[...op.get(i), ...op.i32x4Splat, ...op.get(lanes), ...op.i32x4Add, ...op.get(selfSplat), ...op.i32x4Eq],
];

/** Byte address of row r's float32 in a per-row array at `base`: base + 4r. */
const rowSlot = (base: number, row: number): Bytes => [
  ...op.get(base),
  ...op.get(row),
  ...op.i32Const(2),
  ...op.i32Shl,
  ...op.i32Add,
];

/** Row r's float32 of the per-row array at `base`, splat into v128 local `into`. */
const splatRowValue = (base: number, row: number, into: number): Bytes => [
  ...rowSlot(base, row),
  ...op.f32Load(),
  ...op.f32x4Splat,
  ...op.set(into),
];

/** `local` += a v128's four lanes folded into one float32 (left on the stack). */
const laneSum = (v: number): Bytes =>
  [0, 1, 2, 3].flatMap((lane) => [...op.get(v), ...op.f32x4ExtractLane(lane), ...(lane > 0 ? op.f32Add : [])]);

// rowMaxesExcept(x, out, rows, vectorBytes, rowBytes, selfShift): each row's max (NaN if it
// holds one) as a float32 at out + 4r.
const [MX, MOUT, MROWS, MVB, MRB, MEX] = [0, 1, 2, 3, 4, 5];
const [MR, MP, MI, MSELF] = [6, 7, 8, 9];
const [MACC, MNAN, MV, MLANES, MNEG, MSELFV] = [10, 11, 12, 13, 14, 15];
const rowMaxesExcept: FunctionDef = {
  name: 'rowMaxesExcept',
  params: [I32, I32, I32, I32, I32, I32],
  locals: [I32, I32, I32, I32, V128, V128, V128, V128, V128, V128],
  body: [
    [...op.i32x4Lanes(0, 4, 8, 12), ...op.set(MLANES), ...op.f32x4Const(Number.NEGATIVE_INFINITY), ...op.set(MNEG)],
    [...op.i32Const(0), ...op.set(MR), ...op.get(MX), ...op.set(MP)],
    ...whileBelow(MR, MROWS, 1, [
      selfOffset(MR, MVB, MEX, MSELF),
      [...op.get(MSELF), ...op.i32x4Splat, ...op.set(MSELFV)],
      [...op.get(MNEG), ...op.set(MACC), ...op.v128Zero, ...op.set(MNAN), ...op.i32Const(0), ...op.set(MI)],
      ...whileBelow(MI, MVB, 16, [
        // v = the self lane ? −∞ : x; pmax (one instruction) with NaN lanes kept apart
        [...op.get(MNEG), ...op.get(MP), ...op.get(MI), ...op.i32Add, ...op.v128Load(), ...selfLane(MI, MLANES, MSELFV)],
        [...op.v128Bitselect, ...op.tee(MV), ...op.get(MACC), ...op.f32x4Pmax, ...op.set(MACC)],
        [...op.get(MNAN), ...op.get(MV), ...op.get(MV), ...op.f32x4Ne, ...op.v128Or, ...op.set(MNAN)],
      ]),
      // a NaN lane becomes all ones, a NaN, which f32.max carries across the lanes
      [...op.get(MACC), ...op.get(MNAN), ...op.v128Or, ...op.set(MACC)],
      rowSlot(MOUT, MR),
      [0, 1, 2, 3].flatMap((lane) => [...op.get(MACC), ...op.f32x4ExtractLane(lane), ...(lane > 0 ? op.f32Max : [])]),
      [...op.f32Store(), ...op.get(MP), ...op.get(MRB), ...op.i32Add, ...op.set(MP)],
    ]),
  ],
};

// softTargetRows(x, t, e, rows, vectorBytes, rowBytes, selfShift, maxes, sums): with m the
// row's max from `maxes`, writes e = exp(x − m) (0 at the self column) and, at sums + 12r, the
// row's Σ e, Σ t and Σ t · (x − m) as float32.
const [SX, ST, SE, SROWS, SVB, SRB, SEX, SMAX, SSUMS] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
const [SR, SOFF, SI, SSELF, SADDR] = [9, 10, 11, 12, 13];
const [SMV, SES, STS, SW, SY, STV, SN, SRR, SLANES, SSELFV] = [14, 15, 16, 17, 18, 19, 20, 21, 22, 23];
const SCONST = 24;
const softTargetRows: FunctionDef = {
  name: 'softTargetRows',
  params: [I32, I32, I32, I32, I32, I32, I32, I32, I32],
  locals: [I32, I32, I32, I32, I32, ...new Array(10 + VECTOR_EXP_CONSTANTS).fill(V128)],
  body: [
    [...op.i32x4Lanes(0, 4, 8, 12), ...op.set(SLANES), ...vectorExpSetUp(SCONST)],
    [...op.i32Const(0), ...op.set(SR), ...op.i32Const(0), ...op.set(SOFF)],
    ...whileBelow(SR, SROWS, 1, [
      selfOffset(SR, SVB, SEX, SSELF),
      [...op.get(SSELF), ...op.i32x4Splat, ...op.set(SSELFV)],
      splatRowValue(SMAX, SR, SMV),
      [
        ...op.v128Zero,
        ...op.set(SES),
        ...op.v128Zero,
        ...op.set(STS),
        ...op.v128Zero,
        ...op.set(SW),
        ...op.i32Const(0),
        ...op.set(SI),
      ],
      ...whileBelow(SI, SVB, 16, [
        [...op.get(SOFF), ...op.get(SI), ...op.i32Add, ...op.set(SADDR)],
        [...op.get(SX), ...op.get(SADDR), ...op.i32Add, ...op.v128Load(), ...op.get(SMV), ...op.f32x4Sub, ...op.set(SY)],
        [
          ...op.get(ST),
          ...op.get(SADDR),
          ...op.i32Add,
          ...op.v128Load(),
          ...op.tee(STV),
          ...op.get(STS),
          ...op.f32x4Add,
          ...op.set(STS),
        ],
        [...op.get(SW), ...op.get(STV), ...op.get(SY), ...op.f32x4Mul, ...op.f32x4Add, ...op.set(SW)],
        // after the uses of y (exp clamps it in place): e, 0 in the self lane, stored and summed
        [...op.get(SE), ...op.get(SADDR), ...op.i32Add],
        [...vectorExpNonPositive(SY, SN, SRR, SCONST), ...selfLane(SI, SLANES, SSELFV), ...op.v128AndNot, ...op.tee(SY)],
        [...op.v128Store(), ...op.get(SES), ...op.get(SY), ...op.f32x4Add, ...op.set(SES)],
      ]),
      [...op.get(SSUMS), ...op.get(SR), ...op.i32Const(12), ...op.i32Mul, ...op.i32Add, ...op.set(SADDR)],
      [...op.get(SADDR), ...laneSum(SES), ...op.f32Store(0)],
      [...op.get(SADDR), ...laneSum(STS), ...op.f32Store(4)],
      [...op.get(SADDR), ...laneSum(SW), ...op.f32Store(8)],
      [...op.get(SOFF), ...op.get(SRB), ...op.i32Add, ...op.set(SOFF)],
    ]),
  ],
};

// scaleSubtractRows(e, t, g, rows, vectorBytes, rowBytes, scales): g = e · s − t, with s the
// row's float32 at scales + 4r (g may be e).
const [GE, GT, GG, GROWS, GVB, GRB, GSC] = [0, 1, 2, 3, 4, 5, 6];
const [GR, GOFF, GI, GADDR, GSV] = [7, 8, 9, 10, 11];
const scaleSubtractRows: FunctionDef = {
  name: 'scaleSubtractRows',
  params: [I32, I32, I32, I32, I32, I32, I32],
  locals: [I32, I32, I32, I32, V128],
  body: [
    [...op.i32Const(0), ...op.set(GR), ...op.i32Const(0), ...op.set(GOFF)],
    ...whileBelow(GR, GROWS, 1, [
      splatRowValue(GSC, GR, GSV),
      [...op.i32Const(0), ...op.set(GI)],
      ...whileBelow(GI, GVB, 16, [
        [...op.get(GOFF), ...op.get(GI), ...op.i32Add, ...op.set(GADDR)],
        [...op.get(GG), ...op.get(GADDR), ...op.i32Add],
        [...op.get(GE), ...op.get(GADDR), ...op.i32Add, ...op.v128Load(), ...op.get(GSV), ...op.f32x4Mul],
        [...op.get(GT), ...op.get(GADDR), ...op.i32Add, ...op.v128Load(), ...op.f32x4Sub, ...op.v128Store()],
      ]),
      [...op.get(GOFF), ...op.get(GRB), ...op.i32Add, ...op.set(GOFF)],
    ]),
  ],
};

/** The three loops, as functions of the SIMD module. */
export const SOFT_TARGET_LOOPS: FunctionDef[] = [rowMaxesExcept, softTargetRows, scaleSubtractRows];

export interface SoftTargetLoops {
  /** Each row's max over its first vectorBytes / 4 columns, column r + selfShift left out (none for −1). */
  rowMaxesExcept(x: number, out: number, rows: number, vectorBytes: number, rowBytes: number, selfShift: number): void;
  /** e = exp(x − m) (0 at column r + selfShift) and each row's Σ e, Σ t, Σ t · (x − m) at sums + 12r. */
  softTargetRows(
    x: number,
    t: number,
    e: number,
    rows: number,
    vectorBytes: number,
    rowBytes: number,
    selfShift: number,
    maxes: number,
    sums: number,
  ): void;
  /** g = e · s − t with s each row's float32 at scales + 4r. */
  scaleSubtractRows(e: number, t: number, g: number, rows: number, vectorBytes: number, rowBytes: number, scales: number): void;
}
