/**
 * Where `fit` gets its batches. A source with `epoch(e, fromStep)` can recreate any position, so a
 * resumed run sees exactly the batches an uninterrupted one would (`ContrastiveLoader` from
 * `@xclr/data` is one). A plain iterable or async iterable works too: it is read once per epoch
 * (re-iterated when it can be), and a resumed run skips the batches the checkpoint had consumed.
 */
export interface EpochSource<B> {
  /** Batches of epoch `epoch`, starting at batch `fromStep`. */
  epoch(epoch: number, fromStep: number): AsyncIterable<B> | Iterable<B>;
  /** Batches per epoch, when known (progress, ETA and epoch ends use it). */
  readonly stepsPerEpoch?: number;
}

export type DataSource<B> = EpochSource<B> | AsyncIterable<B> | Iterable<B>;

function isEpochSource<B>(data: DataSource<B>): data is EpochSource<B> {
  return typeof (data as EpochSource<B>).epoch === 'function';
}

/** Batches per epoch of a source, or undefined when only the source's end tells. */
export function stepsPerEpochOf<B>(data: DataSource<B>): number | undefined {
  return isEpochSource(data) ? data.stepsPerEpoch : Array.isArray(data) ? data.length : undefined;
}

/**
 * The batches of `epoch` from `fromStep` on. For a plain iterable the first `fromStep` batches
 * are read and handed to `discard` (they were trained before the checkpoint).
 */
export async function* batchesOf<B>(
  data: DataSource<B>,
  epoch: number,
  fromStep: number,
  discard: (batch: B) => void,
): AsyncGenerator<B> {
  if (isEpochSource(data)) {
    yield* data.epoch(epoch, fromStep);
    return;
  }
  let index = 0;
  for await (const batch of data as AsyncIterable<B>) {
    if (index++ < fromStep) discard(batch);
    else yield batch;
  }
}

/**
 * A source whose batches get extra fields (e.g. caption embeddings looked up by index): positions,
 * epoch length and resume behave as the underlying source's.
 */
export function mapBatches<A, B>(data: DataSource<A>, map: (batch: A) => B): DataSource<B> {
  async function* mapped(batches: AsyncIterable<A> | Iterable<A>) {
    for await (const batch of batches) yield map(batch);
  }
  if (isEpochSource(data)) return { stepsPerEpoch: data.stepsPerEpoch, epoch: (e, from) => mapped(data.epoch(e, from)) };
  return { [Symbol.asyncIterator]: () => mapped(data as AsyncIterable<A>)[Symbol.asyncIterator]() };
}
