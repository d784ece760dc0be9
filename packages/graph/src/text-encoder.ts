/**
 * A frozen sentence encoder: captions or class descriptions in, L2-normalised rows out. The X-CLR
 * target graph is built from the cosine similarities of these rows.
 */
export interface TextEncoder {
  /** Identifies the encoder in file metadata (e.g. `use-lite`, `transformers:Xenova/all-MiniLM-L6-v2`). */
  readonly name: string;
  /** Embedding width. */
  readonly dim: number;
  /** Embeds `texts` into a `texts.length × dim` row-major array of unit-norm rows. */
  embed(texts: readonly string[]): Promise<Float32Array>;
  /** Frees the model. */
  dispose(): void;
}

/** Normalises each row of a row-major matrix in place; throws on a zero or non-finite row. */
export function normalizeRows(rows: Float32Array, dim: number, what = 'embedding'): Float32Array {
  for (let r = 0; r * dim < rows.length; r++) {
    let sq = 0;
    for (let c = 0; c < dim; c++) sq += rows[r * dim + c] ** 2;
    if (!(sq > 0) || !Number.isFinite(sq)) throw new Error(`${what} row ${r} has norm ${Math.sqrt(sq)}; cannot normalise`);
    const inv = 1 / Math.sqrt(sq);
    for (let c = 0; c < dim; c++) rows[r * dim + c] *= inv;
  }
  return rows;
}
