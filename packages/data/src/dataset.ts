/** A labelled or captioned image dataset held in memory as uint8 pixels (NHWC, row-major). */
export interface ImageDataset {
  /** Short name, e.g. `fashion-mnist/train`. */
  readonly name: string;
  readonly size: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** All images, `size × height × width × channels` bytes. */
  readonly pixels: Uint8Array;
  /** Class index per image, when the dataset has labels. */
  readonly labels?: Int32Array;
  /** Class names, indexed by label. */
  readonly classNames?: readonly string[];
  /** One-line human description per class, indexed by label (for class-description graphs). */
  readonly classDescriptions?: readonly string[];
  /** One caption per image, when the dataset has captions. */
  readonly captions?: readonly string[];
  /** Stable id per image (file names, keys of a WebDataset), when the source has them. */
  readonly ids?: readonly string[];
  /**
   * More integer labels per image, by name (e.g. synth v2's `color`, `size`, `count`), for
   * attribute probes: `readWebDataset` fills it from the integer fields of `KEY.json` (not `label`)
   * that every sample has.
   */
  readonly attributes?: Readonly<Record<string, Int32Array>>;
  /** Where the data came from, for reports and bug reports. */
  readonly source: string;
}

/** The bytes of image `i` (a view, not a copy). */
export function imageAt(dataset: ImageDataset, i: number): Uint8Array {
  if (!Number.isInteger(i) || i < 0 || i >= dataset.size) {
    throw new RangeError(`${dataset.name}: image index ${i} is out of range [0, ${dataset.size})`);
  }
  const n = dataset.height * dataset.width * dataset.channels;
  return dataset.pixels.subarray(i * n, (i + 1) * n);
}

/** A view of `dataset` restricted to `indices` (pixels copied; labels, captions, ids and attributes follow). */
export function subsetOf(dataset: ImageDataset, indices: ArrayLike<number>, name = `${dataset.name}[subset]`): ImageDataset {
  const n = dataset.height * dataset.width * dataset.channels;
  const pixels = new Uint8Array(indices.length * n);
  for (let k = 0; k < indices.length; k++) pixels.set(imageAt(dataset, indices[k]), k * n);
  const pick = <T>(values: readonly T[] | undefined) => (values ? Array.from(indices, (i) => values[i]) : undefined);
  return {
    ...dataset,
    name,
    size: indices.length,
    pixels,
    labels: dataset.labels ? Int32Array.from(indices, (i) => dataset.labels![i]) : undefined,
    captions: pick(dataset.captions),
    ids: pick(dataset.ids),
    attributes: dataset.attributes
      ? Object.fromEntries(
          Object.entries(dataset.attributes).map(([name, values]) => [name, Int32Array.from(indices, (i) => values[i])]),
        )
      : undefined,
  };
}
