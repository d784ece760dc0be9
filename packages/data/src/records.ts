import fs from 'node:fs';
import readline from 'node:readline';
import { parse } from 'csv-parse';

/** One row of a JSONL or CSV file, with its 1-based line number for error messages. */
export interface RecordRow {
  line: number;
  record: Record<string, unknown>;
}

/**
 * Streams the rows of a JSONL (one JSON object per line) or CSV (header row, RFC 4180 quoting)
 * file, in order and with bounded memory. The format follows the extension: `.jsonl`/`.json` or
 * `.csv`.
 */
export async function* readRecords(file: string): AsyncGenerator<RecordRow> {
  if (!fs.existsSync(file)) throw new Error(`${file}: file not found`);
  if (/\.jsonl?$/i.test(file)) {
    const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
    let line = 0;
    for await (const text of lines) {
      line++;
      if (!text.trim()) continue;
      let record: unknown;
      try {
        record = JSON.parse(text);
      } catch {
        throw new Error(`${file}:${line}: not valid JSON (expected one JSON object per line)`);
      }
      if (record === null || typeof record !== 'object' || Array.isArray(record)) {
        throw new Error(`${file}:${line}: expected a JSON object, got ${Array.isArray(record) ? 'an array' : typeof record}`);
      }
      yield { line, record: record as Record<string, unknown> };
    }
    return;
  }
  if (/\.csv$/i.test(file)) {
    const parser = fs.createReadStream(file).pipe(parse({ columns: true, skip_empty_lines: true, bom: true, info: true }));
    try {
      for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
        yield { line: info.lines, record };
      }
    } catch (err) {
      throw csvError(file, err as CsvParseError);
    }
    return;
  }
  throw new Error(`${file}: expected a .jsonl or .csv file`);
}

/** What csv-parse attaches to its errors (`CsvError`): the parser's state where it failed. */
interface CsvParseError extends Error {
  code?: string;
  /** Bytes up to the end of the last complete record (the header included). */
  bytes_records?: number;
  /** Fields of the failing record parsed before the failing one. */
  index?: number;
  /** The failing field's column name. */
  column?: string | number | null;
}

const QUOTE_ERRORS = new Set(['CSV_QUOTE_NOT_CLOSED', 'CSV_INVALID_CLOSING_QUOTE']);

/**
 * csv-parse reports a quote left open where the parse fails: at the end of the file, or at a later
 * quote that seems to close it. This names the line where the field with that quote starts.
 */
function csvError(file: string, err: CsvParseError): Error {
  const message = err.message.replace(/\s+/g, ' ').trim();
  if (!err.code?.startsWith('CSV_') || err.bytes_records === undefined) return new Error(`${file}: ${message}`);
  const line = csvFieldLine(fs.readFileSync(file), err.bytes_records, QUOTE_ERRORS.has(err.code) ? (err.index ?? 0) : 0);
  if (QUOTE_ERRORS.has(err.code)) {
    const field = typeof err.column === 'string' ? `field "${err.column}"` : `field ${(err.index ?? 0) + 1}`;
    const how =
      err.code === 'CSV_QUOTE_NOT_CLOSED'
        ? 'is never closed: the file ends inside it'
        : `is not closed where expected: a quote in it is followed by other text (csv-parse ${err.code})`;
    return new Error(
      `${file}:${line}: ${field} opens a quote that ${how}; a quoted field must end with " followed by a comma or a line break, and quotes inside it must be doubled ("")`,
    );
  }
  return new Error(`${file}:${line}: ${message}`);
}

/**
 * The 1-based line where field `field` of the record starting at byte `start` begins (blank lines
 * before the record skipped, as the parser skips them). RFC 4180: `,` separates fields, `"` quotes
 * them, `""` is a quote inside a quoted field; lines end with LF, CRLF or CR.
 */
function csvFieldLine(bytes: Buffer, start: number, field: number): number {
  let line = 1;
  const newline = (i: number) => bytes[i] === 0x0a || (bytes[i] === 0x0d && bytes[i + 1] !== 0x0a);
  for (let i = 0; i < start && i < bytes.length; i++) if (newline(i)) line++;
  let i = start;
  while (i < bytes.length && (bytes[i] === 0x0a || bytes[i] === 0x0d)) {
    if (newline(i)) line++;
    i++;
  }
  let quoted = false;
  for (let seen = 0; i < bytes.length && seen < field; i++) {
    const c = bytes[i];
    if (newline(i)) line++;
    if (c === 0x22) {
      if (quoted && bytes[i + 1] === 0x22) i++;
      else quoted = !quoted;
    } else if (c === 0x2c && !quoted) seen++;
  }
  return line;
}
