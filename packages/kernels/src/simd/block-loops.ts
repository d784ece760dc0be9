import { type Bytes, type FunctionDef, I32, op, whileBelow } from './wasm-binary.js';

// Re-blocking a tensor: rows of `blocks` contiguous blocks scattered to `blocks` planes. MLAS's
// blocked-channel (NCHWc) filter layout puts two channel blocks innermost, which a Transpose of six
// axes builds one 64-byte block at a time: here it runs as SIMD copies on the heap, in two shares
// where a helper thread is set up (simd-helper.ts).

/** `base + i`: an address. */
const at = (base: number, i: number): Bytes => [...op.get(base), ...op.get(i), ...op.i32Add];

/** `p += by` for a local address p and a local step. */
const advance = (p: number, by: number): Bytes => [...op.get(p), ...op.get(by), ...op.i32Add, ...op.set(p)];

// blockScatter(src, dst, outer, rows, blocks, blockBytes, srcOuterBytes, dstOuterBytes,
// srcRowBytes, dstRowBytes, planeBytes); then counters and the moving addresses.
const [SRC, DST, OUTER, ROWS, BLOCKS, BLOCK_BYTES, SRC_OUTER, DST_OUTER, SRC_ROW, DST_ROW, PLANE] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
];
const [K, R, J, C, RS, RD, S, D] = [11, 12, 13, 14, 15, 16, 17, 18];
const blockScatter: FunctionDef = {
  name: 'blockScatter',
  params: new Array(11).fill(I32),
  locals: new Array(8).fill(I32),
  body: [
    [...op.i32Const(0), ...op.set(K)],
    ...whileBelow(K, OUTER, 1, [
      [...op.get(SRC), ...op.set(RS)],
      [...op.get(DST), ...op.set(RD)],
      [...op.i32Const(0), ...op.set(R)],
      ...whileBelow(R, ROWS, 1, [
        [...op.get(RS), ...op.set(S)],
        [...op.get(RD), ...op.set(D)],
        [...op.i32Const(0), ...op.set(J)],
        ...whileBelow(J, BLOCKS, 1, [
          [...op.i32Const(0), ...op.set(C)],
          // 32 bytes per turn: the loop's own instructions would otherwise outnumber the copies.
          ...whileBelow(C, BLOCK_BYTES, 32, [
            [...at(D, C), ...at(S, C), ...op.v128Load(), ...op.v128Store()],
            [...at(D, C), ...at(S, C), ...op.v128Load(16), ...op.v128Store(16)],
          ]),
          advance(S, BLOCK_BYTES),
          advance(D, PLANE),
        ]),
        advance(RS, SRC_ROW),
        advance(RD, DST_ROW),
      ]),
      advance(SRC, SRC_OUTER),
      advance(DST, DST_OUTER),
    ]),
  ],
};

export const BLOCK_LOOPS: FunctionDef[] = [blockScatter];

/** Byte addresses on the heap; `blockBytes` a multiple of 32. */
export interface BlockLoops {
  /**
   * For k < outer, r < rows and j < blocks: the `blockBytes` bytes at
   * src + k · srcOuterBytes + r · srcRowBytes + j · blockBytes go to
   * dst + k · dstOuterBytes + r · dstRowBytes + j · planeBytes.
   */
  blockScatter(
    src: number,
    dst: number,
    outer: number,
    rows: number,
    blocks: number,
    blockBytes: number,
    srcOuterBytes: number,
    dstOuterBytes: number,
    srcRowBytes: number,
    dstRowBytes: number,
    planeBytes: number,
  ): void;
}
