import type { Rng } from './rng.js';

/**
 * Neighbour-aware batches (the `neighbors` option of `ContrastiveLoader` and the streams): each
 * batch of size B holds B − `count` anchors, taken in the epoch's order, and `count` neighbours of
 * those anchors from `graph`, so that a sparse similarity graph has pairs inside the batch.
 *
 * The neighbours are drawn from (seed, epoch, step) and the batch's anchors alone: for the anchors
 * in turn (the first, the second, …, cycling), one of the anchor's listed neighbours (index ≥ 0)
 * not yet in the batch, chosen uniformly; an anchor with none left is passed over. When no anchor
 * has a neighbour left, the rest are other samples drawn uniformly (then the next not in the
 * batch). A batch is its anchors, then its neighbours, never a sample twice.
 *
 * Every sample is an anchor once per epoch, so an epoch has ⌊samples / (B − count)⌋ steps (with
 * `dropLast`; rounded up without it) instead of ⌊samples / B⌋; samples also appear as neighbours,
 * so an epoch shows some samples more than once.
 */
export interface NeighborBatches {
  /**
   * Row i (`k` entries of `neighbors`) lists the neighbours of sample i as sample indices, best
   * first; -1 entries are skipped (e.g. `topKGraphForKeys` from `@xclr/graph`). One row per sample
   * of the dataset (the loader's dataset, the stream's usable samples in index order).
   */
  graph: { neighbors: Int32Array; k: number };
  /** Neighbours per batch, m, with 0 ≤ m < batchSize (0: plain batches). */
  count: number;
}

/** Checks a `neighbors` option against the batch size and, when known, the dataset's sample count. */
export function checkNeighbors(name: string, neighbors: NeighborBatches, batchSize: number, samples?: number): void {
  const { graph, count } = neighbors;
  if (!Number.isInteger(count) || count < 0 || count >= batchSize)
    throw new Error(`${name}: neighbors.count must be an integer with 0 ≤ count < batchSize = ${batchSize}, got ${count}`);
  const { k } = graph;
  if (!Number.isInteger(k) || k < 1) throw new Error(`${name}: neighbors.graph.k must be a positive integer, got ${k}`);
  if (samples === undefined) return;
  const rows = graph.neighbors.length / k;
  if (!Number.isInteger(rows))
    throw new Error(`${name}: neighbors.graph has ${graph.neighbors.length} entries, not rows of k = ${k}`);
  if (rows !== samples)
    throw new Error(
      `${name}: neighbors.graph has ${rows} rows but the dataset has ${samples} samples; row i must list the neighbours of sample i`,
    );
  const bad = graph.neighbors.findIndex((j) => j >= samples);
  if (bad >= 0)
    throw new Error(
      `${name}: neighbors.graph row ${Math.floor(bad / k)} lists sample ${graph.neighbors[bad]}, but the dataset has ${samples} samples`,
    );
}

/**
 * The neighbours of one batch (see `NeighborBatches`): `count` samples of `pool` (all samples
 * 0 … n − 1 when `pool` is a number n), none of them an anchor. `member` says which samples are
 * in the pool when it is a subset.
 */
export function drawNeighbors(
  anchors: ArrayLike<number>,
  count: number,
  graph: NeighborBatches['graph'],
  pool: Int32Array | number,
  member: Uint8Array | null,
  rng: Rng,
): Int32Array {
  const { neighbors, k } = graph;
  const taken = new Set<number>(Array.from(anchors));
  const size = typeof pool === 'number' ? pool : pool.length;
  const out = new Int32Array(Math.min(count, size - taken.size));
  let n = 0;
  const candidates: number[] = [];
  // Anchors in turn until `out` is full or `anchors.length` of them in a row had none left.
  for (let a = 0, idle = 0; n < out.length && idle < anchors.length; a = (a + 1) % anchors.length) {
    const i = anchors[a];
    candidates.length = 0;
    for (let t = i * k; t < (i + 1) * k; t++) {
      const j = neighbors[t];
      if (j >= 0 && !taken.has(j) && (!member || member[j])) candidates.push(j);
    }
    if (!candidates.length) {
      idle++;
      continue;
    }
    idle = 0;
    const j = candidates[rng.int(candidates.length)];
    taken.add(j);
    out[n++] = j;
  }
  const at = (p: number) => (typeof pool === 'number' ? p : pool[p]);
  while (n < out.length) {
    let p = rng.int(size);
    while (taken.has(at(p))) p = (p + 1) % size;
    taken.add(at(p));
    out[n++] = at(p);
  }
  return out;
}
