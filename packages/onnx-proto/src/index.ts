// A minimal protobuf writer for the few ONNX messages xclr generates (ModelProto, GraphProto,
// NodeProto, TensorProto, ValueInfoProto, AttributeProto), field numbers from onnx/onnx.proto3.
// Enough to build small compute graphs at run time (a similarity top-k, a Gemm, a convolution)
// without a protobuf dependency.

/** One serialised protobuf message or field. */
export type Field = Uint8Array;

function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const key = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, value: number | bigint): Field => Uint8Array.from([...key(field, 0), ...varint(value)]);
const bytes = (field: number, value: Uint8Array): Field => concat([Uint8Array.from([...key(field, 2), ...varint(value.length)]), value]);
const str = (field: number, value: string): Field => bytes(field, new TextEncoder().encode(value));
const f32 = (field: number, value: number): Field => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, value, true);
  return concat([Uint8Array.from(key(field, 5)), b]);
};

/** ONNX TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7 } as const;

/** A dimension: a fixed size or a named symbolic one. */
export type Dim = number | string;

export function valueInfo(name: string, elemType: number, dims: Dim[]): Field {
  const shape = concat(dims.map((d) => bytes(1, typeof d === 'number' ? int(1, d) : str(2, d))));
  const tensorType = concat([int(1, elemType), bytes(2, shape)]);
  return concat([str(1, name), bytes(2, bytes(1, tensorType))]);
}

export function tensor(name: string, dataType: number, dims: number[], raw: Uint8Array): Field {
  return concat([...dims.map((d) => int(1, d)), int(2, dataType), str(8, name), bytes(9, raw)]);
}

export type Attribute =
  | { name: string; int: number }
  | { name: string; float: number }
  | { name: string; ints: number[] }
  | { name: string; string: string };

// AttributeProto: name 1, f 2, i 3, s 4, ints 8, type 20 (FLOAT 1, INT 2, STRING 3, INTS 7).
function attribute(a: Attribute): Field {
  if ('int' in a) return concat([str(1, a.name), int(3, a.int), int(20, 2)]);
  if ('float' in a) return concat([str(1, a.name), f32(2, a.float), int(20, 1)]);
  if ('string' in a) return concat([str(1, a.name), str(4, a.string), int(20, 3)]);
  return concat([str(1, a.name), ...a.ints.map((i) => int(8, i)), int(20, 7)]);
}

/** A NodeProto; `domain` names an operator set other than the default one (e.g. `com.microsoft`), which `model`'s `opsets` must import. */
export function node(opType: string, inputs: string[], outputs: string[], attributes: Attribute[] = [], domain = ''): Field {
  return concat([
    ...inputs.map((i) => str(1, i)),
    ...outputs.map((o) => str(2, o)),
    str(4, opType),
    ...attributes.map((a) => bytes(5, attribute(a))),
    ...(domain ? [str(7, domain)] : []),
  ]);
}

/** An operator set a model imports: its domain and version. */
export interface Opset {
  domain: string;
  version: number;
}

const opsetImport = (o: Opset): Field => bytes(8, concat([str(1, o.domain), int(2, o.version)]));

/**
 * A serialised ModelProto (IR version 8, default domain at `opset`, plus the domains in `opsets`),
 * produced by `producer` (default `@xclr/onnx-proto`).
 */
export function model(o: {
  name: string;
  nodes: Field[];
  inputs: Field[];
  outputs: Field[];
  initializers?: Field[];
  opset: number;
  opsets?: Opset[];
  producer?: string;
}): Uint8Array {
  const graph = concat([
    ...o.nodes.map((n) => bytes(1, n)),
    str(2, o.name),
    ...(o.initializers ?? []).map((t) => bytes(5, t)),
    ...o.inputs.map((v) => bytes(11, v)),
    ...o.outputs.map((v) => bytes(12, v)),
  ]);
  return concat([
    int(1, 8),
    str(2, o.producer ?? '@xclr/onnx-proto'),
    bytes(7, graph),
    opsetImport({ domain: '', version: o.opset }),
    ...(o.opsets ?? []).map(opsetImport),
  ]);
}

/** Little-endian bytes of a typed array (ONNX raw_data). */
export function rawBytes(values: Float32Array | Int32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}
