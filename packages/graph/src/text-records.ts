import fs from 'node:fs';
import readline from 'node:readline';
import { RecordBatchReader } from 'apache-arrow';
import { parse } from 'csv-parse';

/** One text to embed and its id. */
export interface TextRecord {
  id: string;
  text: string;
}

export interface TextFields {
  /** Field (JSONL, CSV) or Utf8 column (Arrow) holding the text. Default `caption`. */
  textField?: string;
  /** Field or column holding a stable id. Default: the 0-based row number. */
  idField?: string;
}

async function* rows(file: string): AsyncGenerator<{ where: string; get: (field: string) => unknown; fields: () => string[] }> {
  if (!fs.existsSync(file)) throw new Error(`${file}: input file not found`);
  if (/\.jsonl?$/i.test(file)) {
    let line = 0;
    for await (const text of readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY })) {
      line++;
      if (!text.trim()) continue;
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(text);
      } catch {
        throw new Error(`${file}:${line}: not valid JSON (expected one JSON object per line)`);
      }
      yield { where: `${file}:${line}`, get: (f) => record?.[f], fields: () => Object.keys(record ?? {}) };
    }
  } else if (/\.csv$/i.test(file)) {
    for await (const { record, info } of fs.createReadStream(file).pipe(parse({ columns: true, skip_empty_lines: true, bom: true, info: true })) as AsyncIterable<{
      record: Record<string, string>;
      info: { lines: number };
    }>) {
      yield { where: `${file}:${info.lines}`, get: (f) => record[f], fields: () => Object.keys(record) };
    }
  } else if (/\.(arrow|feather|ipc)$/i.test(file)) {
    let row = 0;
    for await (const batch of await RecordBatchReader.from(fs.createReadStream(file))) {
      const names = batch.schema.fields.map((f) => f.name);
      const columns = new Map(names.map((n) => [n, batch.getChild(n)]));
      for (let r = 0; r < batch.numRows; r++, row++) {
        yield { where: `${file}: row ${row}`, get: (f) => columns.get(f)?.get(r), fields: () => names };
      }
    }
  } else {
    throw new Error(`${file}: expected a .jsonl, .csv or .arrow file`);
  }
}

/**
 * Streams `{ id, text }` from a JSONL, CSV (header row, RFC 4180) or Arrow IPC file, in order and
 * with bounded memory. A row without the text field is an error naming the file and line.
 */
export async function* readTextRecords(file: string, fields: TextFields = {}): AsyncGenerator<TextRecord> {
  const { textField = 'caption', idField } = fields;
  let index = 0;
  for await (const row of rows(file)) {
    const text = row.get(textField);
    if (typeof text !== 'string') {
      throw new Error(`${row.where}: no text field "${textField}" (fields: ${row.fields().join(', ')})`);
    }
    const id = idField === undefined ? String(index) : row.get(idField);
    if (id === undefined || id === null) throw new Error(`${row.where}: no id field "${idField}" (fields: ${row.fields().join(', ')})`);
    yield { id: String(id), text };
    index++;
  }
}
