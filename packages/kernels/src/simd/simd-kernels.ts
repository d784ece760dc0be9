import { heapMemory } from '../core/heap.js';
import { type WasmMemory, wasmApi } from '../core/webassembly.js';
import { BLOCK_LOOPS, type BlockLoops } from './block-loops.js';
import { CHANNEL_LOOPS, type ChannelLoops } from './channel-loops.js';
import { POOLED_CONV_LOOPS, type PooledConvLoops } from './pooled-conv-loops.js';
import { SOFT_TARGET_LOOPS, type SoftTargetLoops } from './soft-target-loops.js';
import { type Bytes, F32, I32, moduleBytes, op, V128, whileBelow } from './wasm-binary.js';

// Loops that tfjs's wasm binary lacks, written as WebAssembly SIMD against the backend's own heap
// (the module imports its memory), so they run at SIMD speed on the tensors where they lie: no
// copy in or out, unlike JavaScript loops over a SharedArrayBuffer.

export interface SimdKernels extends SoftTargetLoops, ChannelLoops, BlockLoops, PooledConvLoops {
  /**
   * MaxPoolGrad of one row of 2 × 2 windows that tile the input, 4 channels at a time:
   * dx = dy at the first input of each window (row-major) equal to the window's max y (as float
   * bits; −0 = +0), 0 elsewhere. Byte addresses on the heap: `x`/`dx` at the window row's first
   * input, `y`/`dy` at the output row; `channelBytes` = channels × 4 (a multiple of 16);
   * `rowStride` = bytes from one input row to the next.
   */
  maxPoolGrad2x2Row(
    x: number,
    y: number,
    dy: number,
    dx: number,
    outWidth: number,
    channelBytes: number,
    rowStride: number,
  ): void;
  /**
   * ReLU's gradient over `bytes` bytes (a multiple of 16) at byte addresses x, dy, dx: dy where
   * x > 0, NaN where x is NaN (as tfjs's dy · step(x)), else 0.
   */
  reluGrad(x: number, dy: number, dx: number, bytes: number): void;
  /**
   * One Adam step over `bytes` bytes (a multiple of 16) of a variable, in float32 like
   * tf.train.adam's kernels: m' = β₁m + (1−β₁)g, v' = β₂v + (1−β₂)g², value' = value −
   * stepSize · m' / (√(v' · c₂) + ε), with stepSize = lr / (1 − β₁ᵗ) and c₂ = 1 / (1 − β₂ᵗ).
   * Byte addresses; the outputs may not overlap the inputs.
   */
  adam(
    value: number,
    m: number,
    v: number,
    g: number,
    outValue: number,
    outM: number,
    outV: number,
    bytes: number,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    stepSize: number,
    c2: number,
    epsilon: number,
  ): void;
  /** Sums of `rows` contiguous rows of `cols` floats at byte address x, as floats at `out`. */
  rowSums(x: number, out: number, rows: number, cols: number): void;
  /**
   * Maxima of `rows` contiguous rows of `cols` floats at byte address x, as floats at `out`: NaN
   * for a row holding a NaN (as tfjs's cpu backend), −∞ for an empty row.
   */
  rowMaxes(x: number, out: number, rows: number, cols: number): void;
  /**
   * For each of `blocks` blocks of `blockBytes` bytes (a multiple of 16) from byte address x: the
   * sums of squares of its four lanes, as 4 floats at out + 16 · block.
   */
  blockSquareSums(x: number, out: number, blocks: number, blockBytes: number): void;
  /** int32 → float32 over `bytes` bytes (a multiple of 16) from byte address x to out. */
  int32ToFloat32(x: number, out: number, bytes: number): void;
}

// maxPoolGrad2x2Row's locals: its 7 parameters, then these.
const [X, Y, DY, DX, OUT_W, CH, ROW] = [0, 1, 2, 3, 4, 5, 6];
const [XO, C, P, Q, DELTA, ADDR, XOFF] = [7, 8, 9, 10, 11, 12, 13];
const [YV, REST, YZ, M, XK] = [14, 15, 16, 17, 18];

/** `x << 1 == 0` per lane: ±0. */
const isZero = (v: number): Bytes => [...op.get(v), ...op.i32Const(1), ...op.i32x4Shl, ...op.v128Zero, ...op.i32x4Eq];

/** One of the window's four inputs, at p + `offsets`: its share of what is left of dy. */
function windowInput(offsets: number[], last: boolean): Bytes {
  return [
    ...op.get(P),
    ...offsets.flatMap((o) => [...op.get(o), ...op.i32Add]),
    ...op.tee(ADDR),
    ...op.v128Load(),
    ...op.set(XK),
    // m = (x == y as bits) | (x, y both ±0)
    ...op.get(XK),
    ...op.get(YV),
    ...op.i32x4Eq,
    ...isZero(XK),
    ...op.get(YZ),
    ...op.v128And,
    ...op.v128Or,
    ...op.set(M),
    // dx = rest & m; rest &= ~m
    ...op.get(ADDR),
    ...op.get(DELTA),
    ...op.i32Add,
    ...op.get(REST),
    ...op.get(M),
    ...op.v128And,
    ...op.v128Store(),
    ...(last ? [] : [...op.get(REST), ...op.get(M), ...op.v128AndNot, ...op.set(REST)]),
  ];
}

const maxPoolGrad2x2Row: Bytes[] = [
  [...op.get(DX), ...op.get(X), ...op.i32Sub, ...op.set(DELTA)],
  [...op.i32Const(0), ...op.set(XO)],
  ...whileBelow(XO, OUT_W, 1, [
    [...op.get(XO), ...op.get(CH), ...op.i32Mul, ...op.set(XOFF)],
    [...op.i32Const(0), ...op.set(C)],
    ...whileBelow(C, CH, 16, [
      // p = x + 2·xoff + c (the window's top-left input); q = xoff + c (its output)
      [...op.get(X), ...op.get(XOFF), ...op.get(XOFF), ...op.i32Add, ...op.i32Add, ...op.get(C), ...op.i32Add, ...op.set(P)],
      [...op.get(XOFF), ...op.get(C), ...op.i32Add, ...op.set(Q)],
      [...op.get(Y), ...op.get(Q), ...op.i32Add, ...op.v128Load(), ...op.set(YV)],
      [...op.get(DY), ...op.get(Q), ...op.i32Add, ...op.v128Load(), ...op.set(REST)],
      [...isZero(YV), ...op.set(YZ)],
      windowInput([], false),
      windowInput([CH], false),
      windowInput([ROW], false),
      windowInput([ROW, CH], true),
    ]),
  ]),
];

/** `base + i`: an address. */
const at = (base: number, i: number): Bytes => [...op.get(base), ...op.get(i), ...op.i32Add];

// reluGrad: parameters x, dy, dx, bytes; then offset i and the x vector.
const [RX, RDY, RDX, RBYTES, RI, RV] = [0, 1, 2, 3, 4, 5];
const reluGrad: Bytes[] = [
  [...op.i32Const(0), ...op.set(RI)],
  ...whileBelow(RI, RBYTES, 16, [
    [...at(RX, RI), ...op.v128Load(), ...op.set(RV)],
    // dx = (dy & (x > 0)) | (x & (x != x))
    [...at(RDX, RI)],
    [...at(RDY, RI), ...op.v128Load(), ...op.get(RV), ...op.v128Zero, ...op.f32x4Gt, ...op.v128And],
    [...op.get(RV), ...op.get(RV), ...op.get(RV), ...op.f32x4Ne, ...op.v128And, ...op.v128Or],
    [...op.v128Store()],
  ]),
];

// adam: 8 i32 parameters (addresses, bytes), 7 f32 (constants); then i, the constants splat to
// vectors, and g, m' and v'.
const [AVAL, AM, AV, AG, OVAL, OM, OV, ABYTES] = [0, 1, 2, 3, 4, 5, 6, 7];
const SCALARS = [8, 9, 10, 11, 12, 13, 14]; // β₁, 1−β₁, β₂, 1−β₂, step size, c₂, ε
const AI = 15;
const [B1, G1, B2, G2, STEP, C2, EPS] = [16, 17, 18, 19, 20, 21, 22];
const [GV, MV, VV] = [23, 24, 25];
const adam: Bytes[] = [
  ...SCALARS.map((s, k) => [...op.get(s), ...op.f32x4Splat, ...op.set(B1 + k)]),
  [...op.i32Const(0), ...op.set(AI)],
  ...whileBelow(AI, ABYTES, 16, [
    [...at(AG, AI), ...op.v128Load(), ...op.set(GV)],
    // m' = β₁·m + (1−β₁)·g
    [...at(AM, AI), ...op.v128Load(), ...op.get(B1), ...op.f32x4Mul],
    [...op.get(GV), ...op.get(G1), ...op.f32x4Mul, ...op.f32x4Add, ...op.set(MV)],
    // v' = β₂·v + (1−β₂)·g·g
    [...at(AV, AI), ...op.v128Load(), ...op.get(B2), ...op.f32x4Mul],
    [...op.get(GV), ...op.get(GV), ...op.f32x4Mul, ...op.get(G2), ...op.f32x4Mul, ...op.f32x4Add, ...op.set(VV)],
    [...at(OM, AI), ...op.get(MV), ...op.v128Store()],
    [...at(OV, AI), ...op.get(VV), ...op.v128Store()],
    // value' = value − step · m' / (√(v'·c₂) + ε)
    [...at(OVAL, AI), ...at(AVAL, AI), ...op.v128Load()],
    [...op.get(STEP), ...op.get(MV), ...op.f32x4Mul],
    [...op.get(VV), ...op.get(C2), ...op.f32x4Mul, ...op.f32x4Sqrt, ...op.get(EPS), ...op.f32x4Add],
    [...op.f32x4Div, ...op.f32x4Sub, ...op.v128Store()],
  ]),
];

// rowSums / rowMaxes: parameters x, out, rows, cols; then r, p, i, the vector end, the row's
// bytes, the vector accumulator, the row's result, the loaded vector and rowMaxes' NaN lanes.
const [SX, SOUT, SROWS, SCOLS, SR, SP, SI, SVEC, SROW, SACC, SSUM, SV, SNAN] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

/**
 * Each row: `start` sets the accumulator(s), `step` folds the vector loaded by `load` into them,
 * `finish` leaves the accumulator ready to fold across its lanes with `scalarOp`, which then
 * takes the last cols mod 4.
 */
function rowReduce(parts: { start: Bytes; step: (load: Bytes) => Bytes; finish: Bytes; scalarOp: readonly number[] }): Bytes[] {
  const { start, step, finish, scalarOp } = parts;
  return [
    [...op.get(SCOLS), ...op.i32Const(2), ...op.i32Shl, ...op.set(SROW)],
    [...op.get(SCOLS), ...op.i32Const(-4), ...op.i32And, ...op.i32Const(2), ...op.i32Shl, ...op.set(SVEC)],
    [...op.i32Const(0), ...op.set(SR), ...op.get(SX), ...op.set(SP)],
    ...whileBelow(SR, SROWS, 1, [
      [...start, ...op.i32Const(0), ...op.set(SI)],
      // four lanes at a time, then across the lanes, then the last cols mod 4 from where that stopped
      ...whileBelow(SI, SVEC, 16, [step([...at(SP, SI), ...op.v128Load()])]),
      [
        ...finish,
        ...[0, 1, 2, 3].flatMap((lane) => [...op.get(SACC), ...op.f32x4ExtractLane(lane), ...(lane > 0 ? scalarOp : [])]),
        ...op.set(SSUM),
      ],
      ...whileBelow(SI, SROW, 4, [[...op.get(SSUM), ...at(SP, SI), ...op.f32Load(), ...scalarOp, ...op.set(SSUM)]]),
      [...op.get(SOUT), ...op.get(SR), ...op.i32Const(2), ...op.i32Shl, ...op.i32Add, ...op.get(SSUM), ...op.f32Store()],
      [...op.get(SP), ...op.get(SROW), ...op.i32Add, ...op.set(SP)],
    ]),
  ];
}

const rowSums = rowReduce({
  start: [...op.v128Zero, ...op.set(SACC)],
  step: (load) => [...op.get(SACC), ...load, ...op.f32x4Add, ...op.set(SACC)],
  finish: [],
  scalarOp: op.f32Add,
});

// The NaN-propagating f32x4.max is a long instruction sequence on x64 and, as the loop's one
// dependency chain, made rowMaxes several times slower than rowSums; pmax is one instruction.
// It drops NaN (a < NaN is false), so NaN lanes are collected apart (x != x) and set in the end.
const rowMaxes = rowReduce({
  start: [...op.f32Const(Number.NEGATIVE_INFINITY), ...op.f32x4Splat, ...op.set(SACC), ...op.v128Zero, ...op.set(SNAN)],
  step: (load) => [
    ...[...op.get(SACC), ...load, ...op.tee(SV), ...op.f32x4Pmax, ...op.set(SACC)],
    ...[...op.get(SNAN), ...op.get(SV), ...op.get(SV), ...op.f32x4Ne, ...op.v128Or, ...op.set(SNAN)],
  ],
  // a NaN lane becomes all ones, a NaN, which f32.max carries across the lanes
  finish: [...op.get(SACC), ...op.get(SNAN), ...op.v128Or, ...op.set(SACC)],
  scalarOp: op.f32Max,
});

// blockSquareSums(x, out, blocks, blockBytes): for each block of blockBytes bytes (a multiple of
// 16), the four lanes' sums of squares at out + 16 · b; then b, i and the sum.
const [QX, QOUT, QBLOCKS, QBYTES, QB, QI, QACC] = [0, 1, 2, 3, 4, 5, 6];
const blockSquareSums: Bytes[] = [
  [...op.i32Const(0), ...op.set(QB)],
  ...whileBelow(QB, QBLOCKS, 1, [
    [...op.v128Zero, ...op.set(QACC)],
    [...op.i32Const(0), ...op.set(QI)],
    ...whileBelow(QI, QBYTES, 16, [
      [
        ...op.get(QACC),
        ...at(QX, QI),
        ...op.v128Load(),
        ...at(QX, QI),
        ...op.v128Load(),
        ...op.f32x4Mul,
        ...op.f32x4Add,
        ...op.set(QACC),
      ],
    ]),
    [...op.get(QOUT), ...op.get(QB), ...op.i32Const(4), ...op.i32Shl, ...op.i32Add, ...op.get(QACC), ...op.v128Store()],
    [...op.get(QX), ...op.get(QBYTES), ...op.i32Add, ...op.set(QX)],
  ]),
];

// int32ToFloat32: parameters x, out, bytes; then i.
const [CX, COUT, CBYTES, CI] = [0, 1, 2, 3];
const int32ToFloat32: Bytes[] = [
  [...op.i32Const(0), ...op.set(CI)],
  ...whileBelow(CI, CBYTES, 16, [
    [...at(COUT, CI), ...at(CX, CI), ...op.v128Load(), ...op.f32x4ConvertI32x4S, ...op.v128Store()],
  ]),
];

const instances = new WeakMap<WasmMemory, SimdKernels>();

/** Whether `memory` is a threaded Emscripten heap (shared). */
export const isSharedMemory = (memory: WasmMemory): boolean =>
  typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;

/**
 * The module's bytes, importing a shared memory (a threaded Emscripten heap, whose maximum is at
 * most 4 GiB: 65536 pages) or not: compiled once per heap here, and once more by a helper thread
 * (simd-helper.ts) on the same heap.
 */
export function simdModuleBytes(shared: boolean): Uint8Array {
  return moduleBytes(
    [
      {
        name: 'maxPoolGrad2x2Row',
        params: [I32, I32, I32, I32, I32, I32, I32],
        locals: [I32, I32, I32, I32, I32, I32, I32, V128, V128, V128, V128, V128],
        body: maxPoolGrad2x2Row,
      },
      { name: 'reluGrad', params: [I32, I32, I32, I32], locals: [I32, V128], body: reluGrad },
      {
        name: 'adam',
        params: [...new Array(8).fill(I32), ...new Array(7).fill(F32)],
        locals: [I32, ...new Array(7).fill(V128), V128, V128, V128],
        body: adam,
      },
      {
        name: 'rowSums',
        params: [I32, I32, I32, I32],
        locals: [I32, I32, I32, I32, I32, V128, F32, V128, V128],
        body: rowSums,
      },
      {
        name: 'rowMaxes',
        params: [I32, I32, I32, I32],
        locals: [I32, I32, I32, I32, I32, V128, F32, V128, V128],
        body: rowMaxes,
      },
      { name: 'int32ToFloat32', params: [I32, I32, I32], locals: [I32], body: int32ToFloat32 },
      { name: 'blockSquareSums', params: [I32, I32, I32, I32], locals: [I32, I32, V128], body: blockSquareSums },
      ...SOFT_TARGET_LOOPS,
      ...CHANNEL_LOOPS,
      ...BLOCK_LOOPS,
      ...POOLED_CONV_LOOPS,
    ],
    { shared, maxPages: 65536 },
  );
}

/** The kernels on `memory` (compiled once per memory). */
export function simdKernels(memory: WasmMemory): SimdKernels {
  let kernels = instances.get(memory);
  if (kernels == null) {
    const instance = new wasmApi.Instance(new wasmApi.Module(simdModuleBytes(isSharedMemory(memory))), { env: { memory } });
    kernels = instance.exports as unknown as SimdKernels;
    instances.set(memory, kernels);
  }
  return kernels;
}

/** The kernels on a wasm backend's heap, or null where its memory is not found. */
export function heapSimdKernels(backend: unknown): SimdKernels | null {
  const memory = heapMemory(backend);
  return memory == null ? null : simdKernels(memory);
}
