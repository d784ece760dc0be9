import { type Bytes, op } from './wasm-binary.js';

// exp of four float32 lanes in WebAssembly SIMD, which has no exp instruction. Range reduction
// by n = round(y / ln 2) with ln 2 split in two for exactness (as Cephes' expf); a degree-5
// minimax polynomial on |r| ≤ ln 2 / 2 (XNNPACK's; relative error under 1.7e−7 there) in
// Estrin's form, whose shorter dependency chain lets more loop iterations overlap than Horner's.
// n is rounded by adding 1.5 · 2²³, which leaves n in the sum's low bits, and 2ⁿ is those bits
// shifted into the exponent: no float ↔ int conversion (a long instruction sequence on x64). The
// constants live in locals set once before a loop rather than as v128.const inside it.

const LOG2E = Math.LOG2E;
const LN2_HI = 0.693359375;
const LN2_LO = -2.1219444e-4;
/** 1.5 · 2²³: y + this, in float32, is round(y) + this, with round(y) in the low mantissa bits. */
const ROUNDING = 12582912;
/** exp(r) ≈ 1 + c1·r + c2·r² + c3·r³ + c4·r⁴ + c5·r⁵: c1 … c5 (exact float32 values). */
const POLY = [0.9999997019767761, 0.4999915063381195, 0.16667652130126953, 0.04189782217144966, 0.008289290592074394];
/** Below this exp(y) is under float32's smallest normal: clamped there (≈ 1.2e−38, not 0). */
const LOWEST = -87.3;

/** The constants' values, in the order of their locals. */
const CONSTANTS = [LOWEST, LOG2E, ROUNDING, LN2_HI, LN2_LO, ...POLY, 1];
/** How many v128 locals (from the one given to both functions below) the constants take. */
export const VECTOR_EXP_CONSTANTS = CONSTANTS.length;

/** Sets the constants' locals, `first` onwards: once, before the loop. */
export function vectorExpSetUp(first: number): Bytes {
  return CONSTANTS.flatMap((value, k) => [...op.f32x4Const(value), ...op.set(first + k)]);
}

/**
 * exp(y) of the v128 in local `y`, for y ≤ 0 (as y = x − max(x) in a softmax); left on the stack.
 * Overwrites locals `y`, `n` and `r` (v128); reads the constants from `first` on. NaN stays NaN.
 */
export function vectorExpNonPositive(y: number, n: number, r: number, first: number): Bytes {
  const [lowest, log2e, rounding, ln2Hi, ln2Lo] = [0, 1, 2, 3, 4].map((k) => first + k);
  const poly = POLY.map((_, k) => first + 5 + k);
  const one = first + 5 + POLY.length;
  const [c1, c2, c3, c4, c5] = poly;
  /** a · r + b, with a and b locals. */
  const timesRPlus = (a: number, b: number): Bytes => [...op.get(a), ...op.get(r), ...op.f32x4Mul, ...op.get(b), ...op.f32x4Add];
  return [
    // y = max(y, LOWEST) (pmax keeps a NaN y: NaN < c is false)
    ...[...op.get(y), ...op.get(lowest), ...op.f32x4Pmax, ...op.set(y)],
    // n + 1.5 · 2²³ (its bits: those of 1.5 · 2²³ plus n), kept in r for now
    ...[...op.get(y), ...op.get(log2e), ...op.f32x4Mul, ...op.get(rounding), ...op.f32x4Add, ...op.set(r)],
    // 2ⁿ = (n + 127) << 23 as float bits: 1.5 · 2²³'s own bits shift out, 127 << 23 is 1.0's bits
    ...[...op.get(r), ...op.i32Const(23), ...op.i32x4Shl, ...op.get(one), ...op.i32x4Add, ...op.set(n)],
    // n as a float, then r = y − n·ln2_hi − n·ln2_lo
    ...[...op.get(r), ...op.get(rounding), ...op.f32x4Sub, ...op.set(r)],
    ...[...op.get(y), ...op.get(r), ...op.get(ln2Hi), ...op.f32x4Mul, ...op.f32x4Sub],
    ...[...op.get(r), ...op.get(ln2Lo), ...op.f32x4Mul, ...op.f32x4Sub, ...op.set(r)],
    // exp(r) ≈ (c1·r + 1) + r²·((c3·r + c2) + r²·(c5·r + c4)), with r² in y (done with y)
    ...[...op.get(r), ...op.get(r), ...op.f32x4Mul, ...op.set(y)],
    ...[...timesRPlus(c5, c4), ...op.get(y), ...op.f32x4Mul, ...timesRPlus(c3, c2), ...op.f32x4Add],
    ...[...op.get(y), ...op.f32x4Mul, ...timesRPlus(c1, one), ...op.f32x4Add],
    // · 2ⁿ
    ...[...op.get(n), ...op.f32x4Mul],
  ];
}
