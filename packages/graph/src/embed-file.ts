import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { RecordBatchFileWriter } from 'apache-arrow';
import { EXPECTED_EMBEDDINGS, openArrowBatches, writeEmbeddingsFile } from './arrow-files.js';
import { readTextRecords, type TextFields, type TextRecord } from './text-records.js';
import type { TextEncoder } from './text-encoder.js';

export interface EmbedTextFileOptions extends TextFields {
  /** JSONL, CSV or Arrow file of texts. */
  input: string;
  /** The Arrow embeddings file to write (id, embedding; xclr.* metadata). */
  out: string;
  /** The encoder, or a factory called only when something is left to embed. */
  encoder: TextEncoder | (() => Promise<TextEncoder>);
  /** The encoder's name, part of the resume key (known before a lazy encoder loads). */
  encoderName: string;
  /** Rows per resumable chunk (default 4096): memory holds one chunk of texts and embeddings. */
  chunkRows?: number;
  /** Stop after embedding this many new chunks, leaving the parts for a later resume (time-boxed jobs). */
  maxNewChunks?: number;
  /** Called after each chunk with (rows done, rows in total). */
  onProgress?: (done: number, total: number) => void;
}

export interface EmbedTextFileResult {
  rows: number;
  /** Distinct texts embedded by this call (identical texts in a chunk are embedded once). */
  embedded: number;
  /** Chunks found already done from an interrupted run. */
  resumedChunks: number;
  /** False when stopped by `maxNewChunks` (run again to resume). */
  complete: boolean;
}

async function* chunksOf(records: AsyncIterable<TextRecord>, size: number): AsyncGenerator<TextRecord[]> {
  let chunk: TextRecord[] = [];
  for await (const r of records) {
    chunk.push(r);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length) yield chunk;
}

/**
 * Embeds the texts of a file into an Arrow embeddings file, chunk by chunk into `<out>.parts/`
 * (each part written atomically), so an interrupted run resumes at the first missing chunk with no
 * duplicate or missing row; then streams the parts into `out` (temp file, then rename). Input,
 * embedding and output all stream: memory is bounded by one chunk.
 */
export async function embedTextFile(o: EmbedTextFileOptions): Promise<EmbedTextFileResult> {
  const chunkRows = o.chunkRows ?? 4096;
  const stat = fs.statSync(o.input);
  // Parts belong to one (input, fields, encoder, chunking): anything else starts afresh.
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        path.resolve(o.input),
        stat.size,
        stat.mtimeMs,
        o.textField ?? 'caption',
        o.idField ?? null,
        o.encoderName,
        chunkRows,
      ]),
    )
    .digest('hex')
    .slice(0, 12);
  let total = 0;
  for await (const _ of readTextRecords(o.input, o)) total++;
  if (total === 0) throw new Error(`${o.input}: no rows to embed`);
  const parts = `${o.out}.parts`;
  fs.mkdirSync(parts, { recursive: true });
  const partFile = (c: number) => path.join(parts, `${key}-${String(c).padStart(6, '0')}.arrow`);
  const owned = typeof o.encoder === 'function'; // a factory's encoder is disposed here
  let encoder: TextEncoder | null = owned ? null : (o.encoder as TextEncoder);
  try {
    return await embedChunks();
  } finally {
    if (owned) encoder?.dispose();
  }

  async function embedChunks(): Promise<EmbedTextFileResult> {
    const result: EmbedTextFileResult = { rows: total, embedded: 0, resumedChunks: 0, complete: false };
    let c = 0;
    let done = 0;
    let fresh = 0;
    for await (const chunk of chunksOf(readTextRecords(o.input, o), chunkRows)) {
      if (fs.existsSync(partFile(c))) {
        result.resumedChunks++;
      } else {
        if (o.maxNewChunks !== undefined && fresh >= o.maxNewChunks) return result;
        encoder ??= await (o.encoder as () => Promise<TextEncoder>)();
        const texts = chunk.map((r) => r.text);
        const unique = [...new Set(texts)];
        const rows = await encoder.embed(unique);
        const dim = encoder.dim;
        const at = new Map(unique.map((t, i) => [t, i]));
        const out = new Float32Array(texts.length * dim);
        texts.forEach((t, i) => {
          const u = at.get(t) as number;
          out.set(rows.subarray(u * dim, (u + 1) * dim), i * dim);
        });
        writeEmbeddingsFile(partFile(c), {
          ids: chunk.map((r) => r.id),
          dim,
          embeddings: out,
          encoder: o.encoderName,
          normalized: true,
        });
        result.embedded += unique.length;
        fresh++;
      }
      done += chunk.length;
      c++;
      o.onProgress?.(done, total);
    }
    // Join the parts into one file, streaming batch by batch.
    const tmp = `${o.out}.${process.pid}.tmp`;
    const writer = new RecordBatchFileWriter();
    const sink = fs.createWriteStream(tmp);
    const finished = new Promise<void>((resolve, reject) => {
      sink.on('finish', resolve);
      sink.on('error', reject);
    });
    writer.toNodeStream().pipe(sink);
    for (let p = 0; p < c; p++) {
      for await (const batch of (await openArrowBatches(partFile(p), EXPECTED_EMBEDDINGS)).batches) writer.write(batch);
    }
    writer.finish();
    await finished;
    fs.renameSync(tmp, o.out);
    fs.rmSync(parts, { recursive: true, force: true });
    result.complete = true;
    return result;
  }
}
