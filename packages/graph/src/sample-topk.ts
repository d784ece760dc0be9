import type { RecordBatch } from 'apache-arrow';
import { EXPECTED_EMBEDDINGS, EXPECTED_TOPK, embeddingsDim, openArrowBatches, topKWidth } from './arrow-files.js';

/** A top-k graph whose rows and neighbours are training-sample indices (`topKGraphForKeys`). */
export interface SampleTopKGraph {
  k: number;
  /**
   * `keys.length × k`, row i for sample i (key `keys[i]`): neighbour sample indices, best first,
   * -1 where the file's neighbour is not one of the samples (or the file had none).
   */
  neighbors: Int32Array;
  /** The scores of `neighbors` (0 where the neighbour is -1). */
  scores: Float32Array;
  /** The top-k file's `xclr.source`. */
  source: string;
  /** Neighbour entries set to -1 because their row's id is not among the keys (a graph built on more samples). */
  outside: number;
}

/** The values of a FixedSizeList column of one record batch, `numRows × width`. */
function listValues<T extends Int32Array | Float32Array>(batch: RecordBatch, column: string, width: number): T {
  const data = batch.getChild(column)!.data[0];
  const child = data.children[0];
  const start = (data.offset + child.offset) * width;
  return (child.values as T).subarray(start, start + batch.numRows * width) as T;
}

/**
 * Re-indexes a top-k file to the training samples: sample i has key `keys[i]`, its row is the
 * row of `embeddingsFile` (the file the top-k graph was built from) whose id is `keys[i]`, and
 * each neighbour, a row of that file, becomes the index of the sample with that row's id, or -1
 * when no sample has it (`batchSimilarityFromTopK` and the `neighbors` batches of `@xclr/data`
 * skip -1). Both files are streamed record batch by record batch, and of the embeddings file only
 * the ids are kept: memory is the result (`keys.length × k × 8` bytes), the keys and 4 bytes per
 * file row, plus one record batch of each file. Errors name the files: a key with no row in the
 * embeddings file, a key listed twice, an id of a key listed twice in the file, a top-k file with
 * another row count than the embeddings file, a neighbour that is not a row of it.
 */
export async function topKGraphForKeys(
  topkFile: string,
  embeddingsFile: string,
  keys: readonly string[],
): Promise<SampleTopKGraph> {
  const fn = 'topKGraphForKeys';
  if (keys.length === 0) throw new Error(`${fn}: no sample keys given`);
  const sampleOf = new Map<string, number>();
  keys.forEach((key, i) => {
    const first = sampleOf.get(key);
    if (first !== undefined)
      throw new Error(
        `${fn}: sample key "${key}" is listed twice (samples ${first} and ${i}); each graph row needs a key of its own`,
      );
    sampleOf.set(key, i);
  });

  // The embeddings file's ids: which sample each file row is (fileSample), and each sample's row.
  const embeddings = await openArrowBatches(embeddingsFile, EXPECTED_EMBEDDINGS);
  embeddingsDim(embeddingsFile, embeddings.schema);
  const rowOf = new Int32Array(keys.length).fill(-1);
  let fileSample = new Int32Array(1024);
  let rows = 0;
  for await (const batch of embeddings.batches) {
    if (rows + batch.numRows > fileSample.length) {
      const grown = new Int32Array(Math.max(2 * fileSample.length, rows + batch.numRows));
      grown.set(fileSample.subarray(0, rows));
      fileSample = grown;
    }
    const ids = batch.getChild('id')!;
    for (let r = 0; r < batch.numRows; r++, rows++) {
      const id = ids.get(r) as string;
      const s = sampleOf.get(id) ?? -1;
      fileSample[rows] = s;
      if (s < 0) continue;
      if (rowOf[s] >= 0) throw new Error(`${embeddingsFile}: id "${id}" appears more than once (rows ${rowOf[s]} and ${rows})`);
      rowOf[s] = rows;
    }
  }
  const missing = keys.filter((_, s) => rowOf[s] < 0);
  if (missing.length) {
    throw new Error(
      `${fn}: sample key "${missing[0]}" has no row in ${embeddingsFile} (${missing.length} of ${keys.length} keys missing), so ${topkFile} has no neighbours for it; build the top-k file from embeddings whose ids are the sample keys`,
    );
  }

  const topk = await openArrowBatches(topkFile, EXPECTED_TOPK);
  const k = topKWidth(topkFile, topk.schema);
  const neighbors = new Int32Array(keys.length * k).fill(-1);
  const scores = new Float32Array(keys.length * k);
  let topkRows = 0;
  let outside = 0;
  let bad: string | null = null; // reported after the row counts, which explain it better when they differ
  for await (const batch of topk.batches) {
    const nb = listValues<Int32Array>(batch, 'neighbors', k);
    const sc = listValues<Float32Array>(batch, 'scores', k);
    for (let b = 0; b < batch.numRows; b++, topkRows++) {
      const s = topkRows < rows ? fileSample[topkRows] : -1;
      if (s < 0) continue;
      for (let t = 0; t < k; t++) {
        const j = nb[b * k + t];
        if (j < 0) continue;
        if (j >= rows) {
          bad ??= `${topkFile}: row ${topkRows} lists neighbour ${j}, but ${embeddingsFile} has ${rows} rows`;
          continue;
        }
        const m = fileSample[j];
        if (m < 0) {
          outside++;
          continue;
        }
        neighbors[s * k + t] = m;
        scores[s * k + t] = sc[b * k + t];
      }
    }
  }
  if (topkRows !== rows) {
    throw new Error(
      `${fn}: ${topkFile} has ${topkRows} rows but ${embeddingsFile} has ${rows}; a top-k file's rows are the rows of the embeddings file it was built from`,
    );
  }
  if (bad) throw new Error(bad);
  return { k, neighbors, scores, source: topk.schema.metadata.get('xclr.source') ?? '', outside };
}
