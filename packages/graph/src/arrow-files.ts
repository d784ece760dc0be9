import fs from 'node:fs';
import path from 'node:path';
import {
  DataType,
  Field,
  FixedSizeList,
  Float32,
  Int32,
  makeData,
  Precision,
  RecordBatch,
  RecordBatchReader,
  Schema,
  Struct,
  Table,
  tableFromIPC,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';

// Embeddings and top-k graphs as Arrow IPC files that pyarrow and polars read:
//   embeddings: id (Utf8), embedding (FixedSizeList<Float32, dim>);
//               metadata xclr.encoder, xclr.dim, xclr.normalized
//   top-k:      neighbors (FixedSizeList<Int32, k>), scores (FixedSizeList<Float32, k>);
//               metadata xclr.k, xclr.source

export interface EmbeddingsFile {
  ids: string[];
  dim: number;
  /** `ids.length × dim` row-major. */
  embeddings: Float32Array;
  encoder: string;
  normalized: boolean;
}

export interface TopKGraph {
  k: number;
  /** `rows × k` row indices into the embeddings file, best first. */
  neighbors: Int32Array;
  scores: Float32Array;
  source: string;
}

function fixedList<T extends Float32 | Int32>(values: Float32Array | Int32Array, width: number, type: T): ReturnType<typeof makeData> {
  const child = makeData({ type, length: values.length, data: values } as never);
  const listType = new FixedSizeList(width, new Field('item', type, false));
  return makeData({ type: listType, length: values.length / width, child, nullCount: 0 } as never);
}

/** Writes an Arrow IPC file atomically (temp file, then rename). */
export function writeTableAtomic(file: string, table: Table): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, tableToIPC(table, 'file'));
  fs.renameSync(tmp, file);
}

function table(columns: Record<string, ReturnType<typeof makeData>>, metadata: Record<string, string>): Table {
  const fields = Object.entries(columns).map(([name, data]) => new Field(name, data.type, false));
  const schema = new Schema(fields, new Map(Object.entries(metadata)));
  const length = Object.values(columns)[0].length;
  const struct = makeData({ type: new Struct(fields), length, nullCount: 0, children: Object.values(columns) } as never);
  return new Table(schema, [new RecordBatch(schema, struct as never)]);
}

export function writeEmbeddingsFile(file: string, e: EmbeddingsFile): void {
  if (e.embeddings.length !== e.ids.length * e.dim) {
    throw new Error(`${file}: ${e.embeddings.length} values for ${e.ids.length} ids × dim ${e.dim}`);
  }
  const ids = vectorFromArray(e.ids, new Utf8()).data[0];
  writeTableAtomic(
    file,
    table(
      { id: ids as never, embedding: fixedList(e.embeddings, e.dim, new Float32()) },
      { 'xclr.encoder': e.encoder, 'xclr.dim': String(e.dim), 'xclr.normalized': String(e.normalized) },
    ),
  );
}

/** What each reader expects, for errors that say so. */
const KINDS = {
  embeddings: ['an xclr embeddings file', 'id: Utf8, embedding: FixedSizeList<Float32, dim>'],
  topk: ['an xclr top-k file', 'neighbors: FixedSizeList<Int32, k>, scores: FixedSizeList<Float32, k>'],
  shard: ['an xclr top-k shard file', 'row: Int32, neighbors, scores; metadata xclr.shard, xclr.rows'],
} as const;
type Kind = keyof typeof KINDS;
export const EXPECTED_EMBEDDINGS = KINDS.embeddings[0];
export const EXPECTED_TOPK = KINDS.topk[0];

function incomplete(file: string, expected: string): Error {
  return new Error(`${file}: not a complete Arrow IPC file (truncated or not Arrow); expected ${expected}`);
}

/**
 * Checks an Arrow IPC file's framing before arrow parses it (a cut-off file otherwise fails deep
 * inside the parser, e.g. "Cannot read properties of null"): the file format starts with ARROW1
 * and ends with the footer's length and ARROW1 again; the stream format starts with 0xFFFFFFFF.
 * `expected` says what the caller wanted, e.g. "an xclr embeddings file".
 */
export function checkArrowFile(file: string, expected: string): void {
  if (!fs.existsSync(file)) throw new Error(`${file}: file not found`);
  const size = fs.statSync(file).size;
  const head = Buffer.alloc(8);
  const tail = Buffer.alloc(10);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, 8, 0);
    if (size >= 10) fs.readSync(fd, tail, 0, 10, size - 10);
  } finally {
    fs.closeSync(fd);
  }
  // A file shorter than its header may still be the start of one (a cut-off file).
  const start = head.subarray(0, Math.min(size, 6));
  const fileFormat = size > 0 && start.equals(Buffer.from('ARROW1', 'latin1').subarray(0, start.length));
  const streamFormat = size > 0 && head.subarray(0, Math.min(size, 4)).every((b) => b === 0xff);
  if (size > 0 && !fileFormat && !streamFormat) {
    throw new Error(`${file}: not an Arrow IPC file (no ARROW1 magic or stream header); expected ${expected}`);
  }
  const footer = tail.readInt32LE(0);
  const complete = fileFormat
    ? size >= 18 && tail.subarray(4).toString('latin1') === 'ARROW1' && footer > 0 && footer <= size - 18
    : size >= 8;
  if (!complete) throw incomplete(file, expected);
}

/**
 * Opens an Arrow IPC file for streaming, record batch by record batch; a cut-off or corrupt file
 * is `FILE: not a complete Arrow IPC file (truncated or not Arrow); expected EXPECTED`, whether
 * found on opening or in a later batch.
 */
export async function openArrowBatches(
  file: string,
  expected: string,
): Promise<{ schema: Schema; batches: AsyncGenerator<RecordBatch> }> {
  checkArrowFile(file, expected);
  let reader: RecordBatchReader;
  try {
    reader = await RecordBatchReader.from(fs.createReadStream(file));
    await reader.open();
  } catch {
    throw incomplete(file, expected);
  }
  if (!reader.schema) throw incomplete(file, expected);
  async function* batches(): AsyncGenerator<RecordBatch> {
    const it = reader[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<RecordBatch>;
      try {
        next = await it.next();
      } catch {
        throw incomplete(file, expected);
      }
      if (next.done) return;
      yield next.value;
    }
  }
  return { schema: reader.schema, batches: batches() };
}

function readTable(file: string, kind: Kind): Table {
  checkArrowFile(file, KINDS[kind][0]);
  let t: Table;
  try {
    t = tableFromIPC(fs.readFileSync(file));
  } catch {
    throw incomplete(file, KINDS[kind][0]);
  }
  if (t.schema.fields.length === 0) throw incomplete(file, KINDS[kind][0]);
  return t;
}

/** Which xclr file a schema looks like, if any. */
function kindOf(schema: Schema): Kind | null {
  const has = (name: string) => schema.fields.some((f) => f.name === name);
  if (has('neighbors') && has('scores')) return schema.metadata.has('xclr.shard') && has('row') ? 'shard' : 'topk';
  if (has('id') && has('embedding')) return 'embeddings';
  return null;
}

/** `FILE: expected an xclr embeddings file (COLUMNS), but this is an xclr top-k file` (or what is wrong). */
function wrongKind(file: string, expected: Kind, schema: Schema, problem?: string): Error {
  const actual = kindOf(schema);
  const what =
    actual && actual !== expected
      ? `this is ${KINDS[actual][0]}`
      : (problem ?? `its columns are ${schema.fields.map((f) => f.name).join(', ') || 'none'}`);
  return new Error(`${file}: expected ${KINDS[expected][0]} (${KINDS[expected][1]}), but ${what}`);
}

/** Checks that a FixedSizeList column of Float32 (or Int32) exists; returns its width. */
function listWidth(file: string, schema: Schema, expected: Kind, column: string, item: 'Float32' | 'Int32'): number {
  const field = schema.fields.find((f) => f.name === column);
  if (!field) throw wrongKind(file, expected, schema);
  const child = DataType.isFixedSizeList(field.type) ? field.type.children[0].type : null;
  const ok =
    item === 'Float32'
      ? DataType.isFloat(child) && child.precision === Precision.SINGLE
      : DataType.isInt(child) && child.bitWidth === 32 && child.isSigned;
  if (!ok) throw wrongKind(file, expected, schema, `column "${column}" is ${field.type}, not FixedSizeList<${item}, n>`);
  return (field.type as FixedSizeList).listSize;
}

/** Utf8, LargeUtf8 or Utf8View, plain or dictionary-encoded (as pyarrow, polars and arrow-js write strings). */
function isText(type: DataType): boolean {
  const t = DataType.isDictionary(type) ? type.dictionary : type;
  return DataType.isUtf8(t) || DataType.isLargeUtf8(t) || DataType.isUtf8View(t);
}

/** Checks an embeddings file's schema (columns, xclr.dim); returns the embedding width. */
export function embeddingsDim(file: string, schema: Schema): number {
  const id = schema.fields.find((f) => f.name === 'id');
  if (id && !isText(id.type)) throw wrongKind(file, 'embeddings', schema, `column "id" is ${id.type}, not Utf8`);
  const width = listWidth(file, schema, 'embeddings', 'embedding', 'Float32');
  if (!id) throw wrongKind(file, 'embeddings', schema);
  const meta = schema.metadata;
  if (meta.has('xclr.dim') && Number(meta.get('xclr.dim')) !== width) {
    throw new Error(`${file}: metadata xclr.dim = ${meta.get('xclr.dim')} but embedding rows have ${width} values`);
  }
  return width;
}

function listValues<T extends Float32Array | Int32Array>(
  t: Table,
  column: string,
  width: number,
  ctor: 'Float32Array' | 'Int32Array',
): T {
  const out = ctor === 'Float32Array' ? new Float32Array(t.numRows * width) : new Int32Array(t.numRows * width);
  let offset = 0;
  for (const batch of t.batches) {
    const data = batch.getChild(column)!.data[0];
    const child = data.children[0];
    const values = child.values as Float32Array | Int32Array;
    const start = (data.offset + child.offset) * width;
    out.set(values.subarray(start, start + data.length * width), offset);
    offset += data.length * width;
  }
  return out as T;
}

export function readEmbeddingsFile(file: string): EmbeddingsFile {
  const t = readTable(file, 'embeddings');
  const meta = t.schema.metadata;
  const width = embeddingsDim(file, t.schema);
  const values = listValues<Float32Array>(t, 'embedding', width, 'Float32Array');
  const idColumn = t.getChild('id')!;
  for (let r = 0; r < t.numRows; r++) {
    let sq = 0;
    for (let k = 0; k < width; k++) {
      const v = values[r * width + k];
      if (!Number.isFinite(v)) throw new Error(`${file}: embedding row ${r} (id ${idColumn.get(r)}) contains ${v}`);
      sq += v * v;
    }
    if (sq === 0) throw new Error(`${file}: embedding row ${r} (id ${idColumn.get(r)}) has zero norm`);
  }
  return {
    ids: Array.from(idColumn.toArray() as string[]),
    dim: width,
    embeddings: values,
    encoder: meta.get('xclr.encoder') ?? 'unknown',
    normalized: meta.get('xclr.normalized') === 'true',
  };
}

export function writeTopKFile(file: string, g: TopKGraph): void {
  writeTableAtomic(
    file,
    table(
      { neighbors: fixedList(g.neighbors, g.k, new Int32()), scores: fixedList(g.scores, g.k, new Float32()) },
      { 'xclr.k': String(g.k), 'xclr.source': g.source },
    ),
  );
}

/** A shard of an array job: the top-k rows it computed, with their absolute row indices. */
export interface TopKShardFile extends TopKGraph {
  rows: Int32Array;
  shard: { index: number; count: number };
  totalRows: number;
}

export function writeTopKShardFile(file: string, s: TopKShardFile): void {
  const rows = makeData({ type: new Int32(), length: s.rows.length, data: s.rows } as never);
  writeTableAtomic(
    file,
    table(
      { row: rows, neighbors: fixedList(s.neighbors, s.k, new Int32()), scores: fixedList(s.scores, s.k, new Float32()) },
      { 'xclr.k': String(s.k), 'xclr.source': s.source, 'xclr.shard': `${s.shard.index}/${s.shard.count}`, 'xclr.rows': String(s.totalRows) },
    ),
  );
}

export function readTopKShardFile(file: string): TopKShardFile {
  const t = readTable(file, 'shard');
  const meta = t.schema.metadata;
  const shard = /^(\d+)\/(\d+)$/.exec(meta.get('xclr.shard') ?? '');
  const totalRows = Number(meta.get('xclr.rows'));
  const row = t.schema.fields.find((f) => f.name === 'row');
  if (!shard || !row) throw wrongKind(file, 'shard', t.schema, 'it has no xclr.shard metadata or row column');
  if (!(DataType.isInt(row.type) && row.type.bitWidth === 32)) throw wrongKind(file, 'shard', t.schema, `column "row" is ${row.type}, not Int32`);
  if (!Number.isInteger(totalRows)) throw wrongKind(file, 'shard', t.schema, `its xclr.rows metadata is ${meta.get('xclr.rows')}`);
  const g = topKFromTable(t, file, 'shard');
  const index = Number(shard[1]);
  const count = Number(shard[2]);
  return { ...g, rows: Int32Array.from(t.getChild('row')!.toArray() as Int32Array), shard: { index, count }, totalRows };
}

/** Checks a top-k file's schema (neighbors and scores columns of one width); returns k. */
export function topKWidth(file: string, schema: Schema, kind: Kind = 'topk'): number {
  const k = listWidth(file, schema, kind, 'neighbors', 'Int32');
  const k2 = listWidth(file, schema, kind, 'scores', 'Float32');
  if (k !== k2) throw new Error(`${file}: neighbors have ${k} per row but scores ${k2}`);
  return k;
}

function topKFromTable(t: Table, file: string, kind: Kind): TopKGraph {
  const k = topKWidth(file, t.schema, kind);
  const neighbors = listValues<Int32Array>(t, 'neighbors', k, 'Int32Array');
  const scores = listValues<Float32Array>(t, 'scores', k, 'Float32Array');
  return { k, neighbors, scores, source: t.schema.metadata.get('xclr.source') ?? '' };
}

export function readTopKFile(file: string): TopKGraph {
  return topKFromTable(readTable(file, 'topk'), file, 'topk');
}
