import fs from 'node:fs';
import path from 'node:path';
import {
  Field,
  FixedSizeList,
  Float32,
  Int32,
  makeData,
  RecordBatch,
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

function readTable(file: string): Table {
  if (!fs.existsSync(file)) throw new Error(`${file}: file not found`);
  const bytes = fs.readFileSync(file);
  // The IPC file format starts with "ARROW1"; the stream format with a 0xFFFFFFFF continuation.
  const isFile = bytes.subarray(0, 6).toString('latin1') === 'ARROW1';
  const isStream = bytes.length >= 4 && bytes.readUInt32LE(0) === 0xffffffff;
  if (!isFile && !isStream) throw new Error(`${file}: not an Arrow IPC file (no ARROW1 magic or stream header)`);
  try {
    return tableFromIPC(bytes);
  } catch (err) {
    throw new Error(`${file}: not an Arrow IPC file (${(err as Error).message})`);
  }
}

function listValues<T extends Float32Array | Int32Array>(t: Table, file: string, column: string, ctor: 'Float32Array' | 'Int32Array'): { values: T; width: number } {
  const field = t.schema.fields.find((f) => f.name === column);
  if (!field) throw new Error(`${file}: no column "${column}" (has ${t.schema.fields.map((f) => f.name).join(', ')})`);
  if (!(field.type instanceof FixedSizeList)) throw new Error(`${file}: column "${column}" must be FixedSizeList<${ctor === 'Float32Array' ? 'Float32' : 'Int32'}, n>, got ${field.type}`);
  const width = field.type.listSize;
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
  return { values: out as T, width };
}

export function readEmbeddingsFile(file: string): EmbeddingsFile {
  const t = readTable(file);
  const meta = t.schema.metadata;
  const { values, width } = listValues<Float32Array>(t, file, 'embedding', 'Float32Array');
  const declared = Number(meta.get('xclr.dim'));
  if (meta.has('xclr.dim') && declared !== width) throw new Error(`${file}: metadata xclr.dim = ${declared} but embedding rows have ${width} values`);
  const idColumn = t.getChild('id');
  if (!idColumn) throw new Error(`${file}: no column "id"`);
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
  const t = readTable(file);
  const meta = t.schema.metadata;
  const shard = meta.get('xclr.shard');
  if (!shard || !t.getChild('row')) throw new Error(`${file}: not a top-k shard (no xclr.shard metadata or row column)`);
  const [index, count] = shard.split('/').map(Number);
  const g = readTopKFile(file);
  return { ...g, rows: Int32Array.from(t.getChild('row')!.toArray() as Int32Array), shard: { index, count }, totalRows: Number(meta.get('xclr.rows')) };
}

export function readTopKFile(file: string): TopKGraph {
  const t = readTable(file);
  const { values: neighbors, width: k } = listValues<Int32Array>(t, file, 'neighbors', 'Int32Array');
  const { values: scores, width: k2 } = listValues<Float32Array>(t, file, 'scores', 'Float32Array');
  if (k !== k2) throw new Error(`${file}: neighbors have ${k} per row but scores ${k2}`);
  return { k, neighbors, scores, source: t.schema.metadata.get('xclr.source') ?? '' };
}

