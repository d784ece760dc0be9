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
      throw new Error(`${file}: ${(err as Error).message}`);
    }
    return;
  }
  throw new Error(`${file}: expected a .jsonl or .csv file`);
}
