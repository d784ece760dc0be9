import fs from 'node:fs';
import readline from 'node:readline';
import { parse } from 'csv-parse';
import { openArrowBatches } from './arrow-files.js';

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
      if (typeof record !== 'object' || record === null || Array.isArray(record)) {
        throw new Error(`${file}:${line}: ${kindOf(record)}, expected one JSON object per line`);
      }
      yield {
        where: `${file}:${line}`,
        get: (f) => (Object.hasOwn(record, f) ? record[f] : undefined),
        fields: () => Object.keys(record),
      };
    }
  } else if (/\.csv$/i.test(file)) {
    const parser = fs.createReadStream(file).pipe(parse({ columns: true, skip_empty_lines: true, bom: true, info: true }));
    try {
      for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
        yield {
          where: `${file}:${info.lines}`,
          get: (f) => (Object.hasOwn(record, f) ? record[f] : undefined),
          fields: () => Object.keys(record),
        };
      }
    } catch (err) {
      throw await csvError(file, err as Error & { code?: string; lines?: number });
    }
  } else if (/\.(arrow|feather|ipc)$/i.test(file)) {
    let row = 0;
    for await (const batch of (await openArrowBatches(file, 'an Arrow table of texts')).batches) {
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

/** `a number`, `null`, `an object`, … for errors about a value of the wrong type. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'object' ? 'an object' : `a ${type === 'bigint' ? 'number' : type}`;
}

/**
 * Where the quoted field that breaks a CSV file opens: csv-parse reports an unclosed quote at the
 * end of the file (and a stray closing quote where it found it), not where the field starts. Reads
 * the file once more, tracking RFC 4180 quoting, up to the first quote that is never closed or
 * whose closing quote is followed by something other than a delimiter or line end.
 */
async function openingQuoteLine(file: string): Promise<number | null> {
  let line = 1;
  let opened = 0;
  let state: 'start' | 'bare' | 'quoted' | 'quote?' = 'start';
  let first = true;
  for await (const chunk of fs.createReadStream(file, 'utf8') as AsyncIterable<string>) {
    for (const c of first && chunk.startsWith('\uFEFF') ? chunk.slice(1) : chunk) {
      if (state === 'quoted') {
        if (c === '"') state = 'quote?';
      } else if (state === 'quote?' && c === '"') {
        state = 'quoted'; // an escaped quote
      } else if (state === 'quote?' && c !== ',' && c !== '\n' && c !== '\r') {
        return opened; // text after the closing quote: the field's quote closed at the wrong place
      } else if (state === 'start' && c === '"') {
        state = 'quoted';
        opened = line;
      } else {
        state = c === ',' || c === '\n' || c === '\r' ? 'start' : 'bare';
      }
      if (c === '\n') line++;
    }
    first = false;
  }
  return state === 'quoted' ? opened : null;
}

/** A csv-parse error with the file name and, for a quoting error, the line where the quoted field opens. */
export async function csvError(file: string, err: Error & { code?: string; lines?: number }): Promise<Error> {
  if (!err.code?.startsWith('CSV_')) return err;
  const quoting = err.code === 'CSV_QUOTE_NOT_CLOSED' || err.code === 'CSV_INVALID_CLOSING_QUOTE';
  const opened = quoting ? await openingQuoteLine(file) : null;
  if (opened !== null && err.code === 'CSV_QUOTE_NOT_CLOSED') {
    return new Error(`${file}:${opened}: a quoted field opens here and is never closed (the file ends inside it)`);
  }
  if (opened !== null) {
    return new Error(
      `${file}:${opened}: a quoted field opens here and its closing quote, at line ${err.lines}, is followed by text (unescaped " inside a quoted field?)`,
    );
  }
  return new Error(`${file}:${err.lines}: ${err.message}`);
}

/**
 * Streams `{ id, text }` from a JSONL, CSV (header row, RFC 4180) or Arrow IPC file, in order and
 * with bounded memory. A row without the text field, or whose text field is not a string (a number,
 * null, an object), is an error naming the file and line; ids may be strings or numbers.
 */
export async function* readTextRecords(file: string, fields: TextFields = {}): AsyncGenerator<TextRecord> {
  const { textField = 'caption', idField } = fields;
  let index = 0;
  for await (const row of rows(file)) {
    const text = row.get(textField);
    if (text === undefined) throw new Error(`${row.where}: no text field "${textField}" (fields: ${row.fields().join(', ')})`);
    // A number or null where a caption should be is a data bug, not a caption to embed.
    if (typeof text !== 'string') throw new Error(`${row.where}: field "${textField}" is ${kindOf(text)}, expected text`);
    const id = idField === undefined ? String(index) : row.get(idField);
    if (id === undefined) throw new Error(`${row.where}: no id field "${idField}" (fields: ${row.fields().join(', ')})`);
    if (!(typeof id === 'string' || typeof id === 'bigint' || (typeof id === 'number' && Number.isFinite(id)))) {
      throw new Error(`${row.where}: field "${idField}" is ${kindOf(id)}, expected text or a number`);
    }
    yield { id: String(id), text };
    index++;
  }
}
