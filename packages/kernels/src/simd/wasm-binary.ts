// Just enough of the WebAssembly binary format to write a few SIMD loops by hand: a module that
// imports one memory (the wasm backend's heap) and exports functions of i32 parameters. Opcodes
// from the WebAssembly core specification 2.0 (5.4 Instructions, 128-bit SIMD).

export type Bytes = number[];

export function u32(n: number): Bytes {
  const out: Bytes = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

export function i32(n: number): Bytes {
  const out: Bytes = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const vec = (items: Bytes[]): Bytes => [...u32(items.length), ...items.flat()];
const name = (s: string): Bytes => vec([...new TextEncoder().encode(s)].map((b) => [b]));
const section = (id: number, body: Bytes): Bytes => [id, ...u32(body.length), ...body];

export const I32 = 0x7f;
export const V128 = 0x7b;
export const F32 = 0x7d;

/** Instructions, as byte sequences to concatenate. */
export const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...u32(depth)],
  brIf: (depth: number) => [0x0d, ...u32(depth)],
  get: (local: number) => [0x20, ...u32(local)],
  set: (local: number) => [0x21, ...u32(local)],
  tee: (local: number) => [0x22, ...u32(local)],
  i32Const: (n: number) => [0x41, ...i32(n)],
  i32Eqz: [0x45],
  i32GeU: [0x4f],
  i32LtU: [0x49],
  i32GeS: [0x4e],
  /** a if the i32 on top is non-zero, else b (stack: a, b, condition). */
  select: [0x1b],
  i32And: [0x71],
  f32Add: [0x92],
  /** NaN if either is NaN. */
  f32Max: [0x97],
  f32Const: (value: number) => {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    return [0x43, ...bytes];
  },
  /** f32.load / f32.store at the address on the stack plus `offset`. */
  f32Load: (offset = 0) => [0x2a, 0, ...u32(offset)],
  f32Store: (offset = 0) => [0x38, 0, ...u32(offset)],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32Shl: [0x74],
  i32ShrU: [0x76],
  i32Store: (offset = 0) => [0x36, 0, ...u32(offset)],
  /** v128.load / v128.store at the address on the stack plus `offset`; no alignment promised. */
  v128Load: (offset = 0) => [0xfd, ...u32(0x00), 0, ...u32(offset)],
  v128Store: (offset = 0) => [0xfd, ...u32(0x0b), 0, ...u32(offset)],
  /** v128.load32_splat: one float (or int) at the address on the stack plus `offset`, in all four lanes. */
  v128Load32Splat: (offset = 0) => [0xfd, ...u32(0x09), 0, ...u32(offset)],
  v128Zero: [0xfd, ...u32(0x0c), ...new Array(16).fill(0)],
  /** i8x16.shuffle: byte k of the result is byte lanes[k] of a (0 … 15) or of b (16 … 31); stack: a, b. */
  i8x16Shuffle: (lanes: number[]) => [0xfd, ...u32(0x0d), ...lanes],
  /** v128.const of four float32 lanes equal to `value`. */
  f32x4Const: (value: number) => {
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    for (let lane = 0; lane < 4; lane++) view.setFloat32(lane * 4, value, true);
    return [0xfd, ...u32(0x0c), ...bytes];
  },
  /** v128.const of four int32 lanes. */
  i32x4Lanes: (...lanes: [number, number, number, number]) => {
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    for (const [lane, value] of lanes.entries()) view.setInt32(lane * 4, value, true);
    return [0xfd, ...u32(0x0c), ...bytes];
  },
  i32x4Splat: [0xfd, ...u32(0x11)],
  f32x4Splat: [0xfd, ...u32(0x13)],
  f32x4ExtractLane: (lane: number) => [0xfd, ...u32(0x1f), lane],
  i32x4ExtractLane: (lane: number) => [0xfd, ...u32(0x1b), lane],
  i32x4Eq: [0xfd, ...u32(0x37)],
  f32x4Ne: [0xfd, ...u32(0x42)],
  f32x4Gt: [0xfd, ...u32(0x44)],
  v128And: [0xfd, ...u32(0x4e)],
  /** a & ~b */
  v128AndNot: [0xfd, ...u32(0x4f)],
  v128Or: [0xfd, ...u32(0x50)],
  /** 1 if any bit of the v128 is set, else 0. */
  v128AnyTrue: [0xfd, ...u32(0x53)],
  /** (a & c) | (b & ~c), stack: a, b, c. */
  v128Bitselect: [0xfd, ...u32(0x52)],
  i32x4Shl: [0xfd, ...u32(0xab)],
  i32x4Add: [0xfd, ...u32(0xae)],
  i32x4Mul: [0xfd, ...u32(0xb5)],
  f32x4Sqrt: [0xfd, ...u32(0xe3)],
  f32x4Add: [0xfd, ...u32(0xe4)],
  f32x4Sub: [0xfd, ...u32(0xe5)],
  f32x4Mul: [0xfd, ...u32(0xe6)],
  f32x4Div: [0xfd, ...u32(0xe7)],
  /** `a < b ? b : a` lane-wise (one instruction on x64; a NaN in b is dropped). */
  f32x4Pmax: [0xfd, ...u32(0xeb)],
  f32x4ConvertI32x4S: [0xfd, ...u32(0xfa)],
} as const;

/**
 * `while (counter < limit) { body; counter += step }`, unsigned, with the counter set by the
 * caller (a loop can go on from where another stopped). Branch depths inside `body` count from
 * its own blocks, so loops nest.
 */
export function whileBelow(counter: number, limit: number, step: number, body: Bytes[]): Bytes[] {
  return [
    [...op.block, ...op.loop],
    [...op.get(counter), ...op.get(limit), ...op.i32GeU, ...op.brIf(1)],
    ...body,
    [...op.get(counter), ...op.i32Const(step), ...op.i32Add, ...op.set(counter), ...op.br(0)],
    [...op.end, ...op.end],
  ];
}

export interface FunctionDef {
  name: string;
  params: number[];
  /** Extra locals after the parameters, by type. */
  locals: number[];
  body: Bytes[];
}

/**
 * A module importing `env.memory` (shared with `maxPages` when `shared`, as a threaded
 * Emscripten heap is) and exporting `functions`, which return nothing.
 */
export function moduleBytes(functions: FunctionDef[], memory: { shared: boolean; maxPages: number }): Uint8Array {
  const types = section(1, vec(functions.map((f) => [0x60, ...vec(f.params.map((p) => [p])), ...vec([])])));
  const limits = memory.shared ? [0x03, ...u32(1), ...u32(memory.maxPages)] : [0x00, ...u32(1)];
  const imports = section(2, vec([[...name('env'), ...name('memory'), 0x02, ...limits]]));
  const funcs = section(3, vec(functions.map((_, i) => u32(i))));
  const exports = section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...u32(i)])));
  const code = section(
    10,
    vec(
      functions.map((f) => {
        const locals = vec(f.locals.map((t) => [...u32(1), t]));
        const body = [...locals, ...f.body.flat(), ...op.end];
        return [...u32(body.length), ...body];
      }),
    ),
  );
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...funcs, ...exports, ...code]);
}
