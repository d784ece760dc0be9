import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type AugmentConfig, augmentBatch } from './augment.js';
import type { Batch } from './loader.js';
import { MissingOptionalPackageError } from './optional.js';
import { manifestRows } from './manifest.js';
import { checkNeighbors, drawNeighbors, type NeighborBatches } from './neighbors.js';
import { Rng } from './rng.js';
import { SampleTable } from './sample-table.js';
import { loadSharp } from './sharp.js';
import { readAt, TarFileReader, TruncatedTarError } from './tar.js';
import { type CaptionedReadReport, decodeImage, firstLine, IMAGE_EXT, splitName } from './webdataset.js';

// Streaming two-view batches from captioned data at its real size. The order of an epoch is a pure
// function of (seed, epoch): the shard order and the shuffle buffer draw from generators seeded
// with both. The shuffle buffer holds descriptors (key, caption, label, where the image lies),
// never pixels; images are read and decoded (sharp, on libuv's thread pool) in that order, at most
// `concurrency` at a time, and copied into the batch as they arrive. Resuming at a step replays
// the descriptors of the batches before it (tar headers and the small caption and metadata
// entries), reading none of their images.

/** A sample skipped, with the reason (naming the shard or manifest line), as `CaptionedReadReport` lists them. */
export interface StreamSkip {
  key: string;
  reason: string;
}

/** One usable sample, before its image is read. */
export interface StreamRecord {
  /**
   * The sample's stable number: its position among the usable samples of the shards (or
   * manifests) in the order given, the same in every epoch and every run.
   */
  index: number;
  key: string;
  caption: string;
  /** Integer class label, or -1 when the sample has none. */
  label: number;
}

/**
 * What a stream needs to know before its first epoch: per shard (or manifest), in the order given,
 * its size when indexed and its usable samples (those with an image entry, a caption and valid
 * metadata; whether the image decodes is only known when it is decoded). JSON-serialisable: save
 * it and pass it back as `index` to skip the indexing pass of a large dataset.
 */
export interface StreamIndex {
  units: { file: string; bytes: number; samples: number }[];
  /** Usable samples in all. */
  samples: number;
  /** Whether every usable sample has an integer label (then batches carry `labels`). */
  labelled: boolean;
}

export interface StreamOptions {
  batchSize: number;
  seed: number;
  /** Augmentation for each view. */
  augment: AugmentConfig;
  /** Augmented views per sample (default 2). */
  views?: number;
  /** Side of the square images are decoded to (cover-resize and centre crop; default 32). */
  imageSize?: number;
  /** Output size of the views (default: `imageSize`). */
  viewSize?: [number, number];
  /** Sample descriptors (not images) the shuffle buffer holds (default 10,000; 0 keeps the stream order). */
  shuffleBuffer?: number;
  /** Shuffle the shard (or manifest) order per epoch (default true). */
  shuffleShards?: boolean;
  /** Images read and decoded at once, ahead of the batch being built (default 16). */
  concurrency?: number;
  /** Drop the last incomplete batch of an epoch (default true). */
  dropLast?: boolean;
  /** The index of a previous `indexWebDataset` / `indexCaptionManifest` call (skips the indexing pass). */
  index?: StreamIndex;
  /** Called once per skipped sample, the first time it is met. */
  onSkip?: (skip: StreamSkip) => void;
  classNames?: string[];
  name?: string;
  /**
   * Neighbour-aware batches: each batch holds `batchSize − count` anchors in the epoch's order,
   * then `count` neighbours of theirs from `graph` (one row per usable sample, in index order:
   * `samples` rows), drawn from (seed, epoch, step), so an epoch has ⌊samples / (batchSize −
   * count)⌋ steps, more than without. The neighbours' images are read by index, through the same
   * bounded decoding as the anchors': the stream keeps a table of every sample (where its image
   * lies, key, caption, label), built in the indexing pass (or before the first epoch when
   * `index` is given); see the README for its RAM. See `NeighborBatches` for how neighbours are drawn.
   */
  neighbors?: NeighborBatches;
}

/** A streamed batch: `ContrastiveLoader`'s shape plus the samples' keys. */
export interface StreamBatch extends Batch {
  /** Keys of the samples (WebDataset keys, or manifest ids). */
  keys: string[];
  captions: string[];
}

/** Counters for tests and monitoring (not memory measurements: counts of what is held). */
export interface StreamStats {
  /** Images decoded so far. */
  decoded: number;
  /** Images read or decoded and not yet copied into a batch, now and at most (≤ `concurrency`). */
  imagesHeld: number;
  maxImagesHeld: number;
  /** Descriptors in the shuffle buffer, now and at most (≤ `shuffleBuffer`). */
  buffered: number;
  maxBuffered: number;
}

/** A usable sample before its image is read (internal to the streams). */
export type Item = { key: string; caption: string; label: number; image: ShardImage | FileImage };
export type ShardImage = { kind: 'shard'; file: string; name: string; offset: number; size: number };
export type FileImage = { kind: 'file'; path: string; where: string };
export type Indexed = Item & { index: number };

/** How a stream reads one kind of source: which samples a unit holds, and the bytes of an image. */
export interface Format {
  units: readonly string[];
  /** The usable samples of unit `u` in file order; unusable ones go to `skip`. */
  scan(u: number, skip: (key: string, reason: string) => void): AsyncGenerator<Item>;
  read(image: Item['image'], files: OpenFiles): Promise<Buffer>;
  /** The skip reason of an image that could not be read, or null when that is an error. */
  unreadable(image: Item['image'], err: NodeJS.ErrnoException): string | null;
  /** The skip reason of an image that did not decode. */
  corrupt(image: Item['image'], err: unknown): string;
  labelled(labels: boolean): boolean;
  source: string;
  /** An image's location as two numbers and a string (the sample table's columns), and back. */
  pack(u: number, image: Item['image']): { offset: number; size: number; text: string };
  unpack(u: number, offset: number, size: number, text: string): Item['image'];
}

/** File handles of the shards being read from, the least recently used closed beyond a few. */
export class OpenFiles {
  private readonly open = new Map<string, { handle: Promise<fs.promises.FileHandle>; users: number }>();

  async read(file: string, offset: number, size: number, name: string): Promise<Buffer> {
    let entry = this.open.get(file);
    if (entry) this.open.delete(file);
    else entry = { handle: fs.promises.open(file, 'r'), users: 0 };
    this.open.set(file, entry);
    entry.users++;
    try {
      const bytes = await readAt(await entry.handle, offset, size);
      if (bytes.length < size)
        throw new Error(
          `${file}: ends inside ${name} (${bytes.length} of ${size} bytes): the shard changed since it was indexed`,
        );
      return bytes;
    } finally {
      entry.users--;
      await this.evict(8);
    }
  }

  private async evict(keep: number): Promise<void> {
    for (const [file, entry] of this.open) {
      if (this.open.size <= keep) return;
      if (entry.users > 0) continue;
      this.open.delete(file);
      await entry.handle.then((h) => h.close()).catch(() => {});
    }
  }

  close(): Promise<void> {
    return this.evict(0);
  }
}

const webDatasetFormat = (shards: string[]): Format => ({
  units: shards,
  source: `webdataset:${shards.length === 1 ? shards[0] : `${path.dirname(shards[0])} (${shards.length} shards)`}`,
  async *scan(u, skip) {
    const shard = shards[u];
    const reader = await TarFileReader.open(shard);
    type Entry = { name: string; offset: number; size: number; data?: Buffer };
    // The same checks as readWebDataset, on the tar headers and the small entries only.
    const check = (key: string, files: Map<string, Entry>): Item | null => {
      const image = IMAGE_EXT.map((e) => files.get(e)).find((f) => f);
      const fail = (reason: string) => {
        skip(key, reason);
        return null;
      };
      if (!image) return fail(`missing image (${shard}: no ${key}.jpg, .jpeg, .png or .webp)`);
      const caption = files.get('.txt')?.data?.toString('utf8').trim();
      if (!caption) return fail(`missing caption (${shard}: ${files.has('.txt') ? `${key}.txt is empty` : `no ${key}.txt`})`);
      let meta: Record<string, unknown> = {};
      const json = files.get('.json');
      if (json) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(json.data!.toString('utf8'));
        } catch (err) {
          return fail(`corrupt metadata (${shard}: ${json.name} is not valid JSON: ${firstLine(err)})`);
        }
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
          const got = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed;
          return fail(`corrupt metadata (${shard}: ${json.name} must hold a JSON object, got ${got})`);
        }
        meta = parsed as Record<string, unknown>;
      }
      const label = Number.isInteger(meta.label) && (meta.label as number) >= 0 ? (meta.label as number) : -1;
      const { name, offset, size } = image;
      return { key, caption, label, image: { kind: 'shard', file: shard, name, offset, size } };
    };
    let group: { key: string; files: Map<string, Entry> } | null = null;
    try {
      try {
        for await (const entry of reader.entries()) {
          const { key, ext } = splitName(entry.name);
          if (!group || group.key !== key) {
            const item = group && check(group.key, group.files);
            group = { key, files: new Map() };
            if (item) yield item;
          }
          const small = ext === '.txt' || ext === '.json';
          group.files.set(ext, small ? { ...entry, data: await reader.read(entry.offset, entry.size) } : entry);
        }
      } catch (err) {
        if (!(err instanceof TruncatedTarError)) throw err;
        // As readWebDataset: the sample the cut entry belongs to is skipped, those before it are read.
        const cutKey = err.entry === null ? null : splitName(err.entry).key;
        const reason = `truncated shard (${shard}: ${err.detail}; the rest of the shard is skipped)`;
        const current = group as { key: string; files: Map<string, Entry> } | null;
        group = null;
        if (current && (cutKey === null || cutKey === current.key)) skip(current.key, reason);
        else {
          const item = current && check(current.key, current.files);
          if (item) yield item;
          skip(cutKey ?? '?', reason);
        }
      }
      const last = group as { key: string; files: Map<string, Entry> } | null;
      const item = last && check(last.key, last.files);
      if (item) yield item;
    } finally {
      await reader.close();
    }
  },
  read: (image, files) => {
    const { file, offset, size, name } = image as ShardImage;
    return files.read(file, offset, size, name);
  },
  unreadable: () => null, // an I/O error on a shard is an error, not a bad sample
  corrupt: (image, err) => `corrupt image (${(image as ShardImage).file}: ${(image as ShardImage).name}: ${firstLine(err)})`,
  labelled: (all) => all,
  pack: (_, image) => {
    const { offset, size, name } = image as ShardImage;
    return { offset, size, text: name };
  },
  unpack: (u, offset, size, name) => ({ kind: 'shard', file: shards[u], name, offset, size }),
});

/** Options of `streamCaptionManifest`: the stream's, and how to read the manifest's rows (as `readCaptionManifest`). */
export interface ManifestStreamOptions extends StreamOptions {
  /** Folder image paths are resolved against and confined to (default: each manifest's folder). */
  imageDir?: string;
  /** Field holding the image path (default: the first of `image`, `file_name`, `filepath`, `path`, `url` present). */
  imageField?: string;
  /** Field holding the caption (default `caption`). */
  captionField?: string;
  /** Field holding an integer class label (optional). */
  labelField?: string;
  /** Field holding a stable id (default: the image path). */
  idField?: string;
}

const manifestFormat = (manifests: string[], o: ManifestStreamOptions): Format => ({
  units: manifests,
  source: `manifest:${manifests.join(', ')}`,
  async *scan(u, skip) {
    const manifest = manifests[u];
    const imageDir = path.resolve(o.imageDir ?? path.dirname(manifest));
    for await (const row of manifestRows(manifest, imageDir, o)) {
      if ('skip' in row) {
        skip(row.skip.key, row.skip.reason);
        continue;
      }
      const { key, caption, label, imagePath, where } = row;
      yield { key, caption, label, image: { kind: 'file', path: imagePath, where } };
    }
  },
  read: (image) => fs.promises.readFile((image as FileImage).path),
  unreadable: (image, err) => {
    const { path: file, where } = image as FileImage;
    return err.code === 'ENOENT'
      ? `missing image (${where}: ${file} not found)`
      : `unreadable image (${where}: ${file}: ${firstLine(err)})`;
  },
  corrupt: (image, err) => `corrupt image (${(image as FileImage).where}: ${(image as FileImage).path}: ${firstLine(err)})`,
  labelled: (all) => all && o.labelField !== undefined,
  // `where` is MANIFEST:LINE: the line is kept, the manifest is the unit's.
  pack: (u, image) => {
    const { path: file, where } = image as FileImage;
    return { offset: Number(where.slice(manifests[u].length + 1)), size: 0, text: file };
  },
  unpack: (u, line, _, file) => ({ kind: 'file', path: file, where: `${manifests[u]}:${line}` }),
});

/** One pass over the units; with `table`, every usable sample is added to it in index order. */
async function buildIndex(
  format: Format,
  skip: (key: string, reason: string) => void,
  table?: SampleTable,
): Promise<StreamIndex> {
  const units: StreamIndex['units'] = [];
  let labelled = true;
  for (let u = 0; u < format.units.length; u++) {
    const file = format.units[u];
    const bytes = (await fs.promises.stat(file)).size;
    let samples = 0;
    for await (const item of format.scan(u, skip)) {
      samples++;
      if (item.label < 0) labelled = false;
      table?.push(u, item);
    }
    units.push({ file, bytes, samples });
  }
  const samples = units.reduce((n, x) => n + x.samples, 0);
  return { units, samples, labelled: format.labelled(labelled && samples > 0) };
}

/** The samples skipped, each added to the report once (epochs meet the same bad samples again). */
export class Skips {
  readonly report: CaptionedReadReport = { read: 0, skipped: [] };
  private readonly seen = new Set<string>();

  constructor(private readonly onSkip?: (skip: StreamSkip) => void) {}

  readonly add = (key: string, reason: string): void => {
    const id = `${key}\0${reason}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.report.skipped.push({ key, reason });
    this.onSkip?.({ key, reason });
  };
}

/**
 * Indexes WebDataset shards for `streamWebDataset`: one pass over their tar headers and caption
 * and metadata entries (no image is read), counting the usable samples of each shard.
 */
export async function indexWebDataset(
  shards: string[],
  options: { onSkip?: (skip: StreamSkip) => void } = {},
): Promise<StreamIndex> {
  return buildIndex(webDatasetFormat(shards), new Skips(options.onSkip).add);
}

/** Indexes JSONL or CSV manifests for `streamCaptionManifest`: one pass over their rows (no image is read). */
export async function indexCaptionManifest(
  manifests: string | string[],
  options: Omit<ManifestStreamOptions, 'batchSize' | 'seed' | 'augment'> = {},
): Promise<StreamIndex> {
  const list = typeof manifests === 'string' ? [manifests] : manifests;
  return buildIndex(manifestFormat(list, options as ManifestStreamOptions), new Skips(options.onSkip).add);
}

/**
 * Two-view batches streamed from captioned data, for `fit` (an `EpochSource`): `epoch(e, fromStep)`
 * and `stepsPerEpoch`. Made by `streamWebDataset` or `streamCaptionManifest`.
 */
export class CaptionStream {
  /** Usable samples (some may still fail to decode: their batch is then one sample short). */
  readonly samples: number;
  readonly stepsPerEpoch: number;
  readonly batchSize: number;
  /** Samples per batch taken in the epoch's order: `batchSize`, less `neighbors.count`. */
  readonly anchorsPerBatch: number;
  readonly height: number;
  readonly width: number;
  readonly channels = 3;
  /** Whether batches carry `labels`. */
  readonly labelled: boolean;
  readonly classNames?: string[];
  readonly name: string;
  readonly source: string;
  /** Images decoded (`read`, over all epochs) and samples skipped (each once). */
  readonly report: CaptionedReadReport;
  readonly stats: StreamStats = { decoded: 0, imagesHeld: 0, maxImagesHeld: 0, buffered: 0, maxBuffered: 0 };
  private readonly offsets: number[];
  private readonly skip: (key: string, reason: string) => void;
  /** Every sample by index, with `neighbors` (built by the indexing pass, or on first use). */
  private table: Promise<SampleTable> | null;

  /** Use `streamWebDataset` or `streamCaptionManifest`. */
  constructor(
    private readonly format: Format,
    readonly index: StreamIndex,
    readonly options: StreamOptions,
    skips: Skips = new Skips(options.onSkip),
    table?: SampleTable,
  ) {
    this.report = skips.report;
    this.skip = skips.add;
    this.batchSize = options.batchSize;
    this.samples = index.samples;
    this.height = this.width = options.imageSize ?? 32;
    this.labelled = index.labelled;
    this.classNames = index.labelled ? options.classNames : undefined;
    this.name = streamName(format, options);
    this.source = format.source;
    const { batchSize, imageSize = 32, shuffleBuffer = 10_000, concurrency = 16 } = options;
    const positive = (what: string, v: number, min: number) => {
      if (!Number.isInteger(v) || v < min) throw new Error(`${this.name}: ${what} must be an integer ≥ ${min}, got ${v}`);
    };
    positive('batchSize', batchSize, 2);
    positive('imageSize', imageSize, 1);
    positive('shuffleBuffer', shuffleBuffer, 0);
    positive('concurrency', concurrency, 1);
    const dropLast = options.dropLast ?? true;
    if (index.units.length !== format.units.length || index.units.some((u, i) => u.file !== format.units[i]))
      throw new Error(`${this.name}: the index given is of other files (${index.units.map((u) => u.file).join(', ')})`);
    if (this.samples < batchSize && dropLast)
      throw new Error(`${this.name}: ${this.samples} usable samples, fewer than one batch of ${batchSize}`);
    this.anchorsPerBatch = batchSize;
    if (options.neighbors) {
      checkNeighbors(this.name, options.neighbors, batchSize, this.samples);
      this.anchorsPerBatch -= options.neighbors.count;
    }
    const steps = this.samples / this.anchorsPerBatch;
    this.stepsPerEpoch = dropLast ? Math.floor(steps) : Math.ceil(steps);
    this.table = table && table.length === this.samples ? Promise.resolve(table) : null;
    this.offsets = [];
    let at = 0;
    for (const u of index.units) {
      this.offsets.push(at);
      at += u.samples;
    }
  }

  /** The usable samples in index order (their stable numbers), no image read: e.g. to embed the captions. */
  async *records(): AsyncGenerator<StreamRecord> {
    for (let u = 0; u < this.format.units.length; u++) for await (const item of this.unit(u)) yield record(item);
  }

  /** The samples of epoch `epoch` in the order its batches take them (with `neighbors`: the anchors), no image read. */
  async *order(epoch: number): AsyncGenerator<StreamRecord> {
    for await (const item of this.shuffled(epoch)) yield record(item);
  }

  /** The sample table `neighbors` reads neighbours from: one pass over the units when the indexing pass did not build it. */
  private sampleTable(): Promise<SampleTable> {
    if (!this.table) {
      this.table = (async () => {
        const table = new SampleTable(this.format);
        for (let u = 0; u < this.format.units.length; u++) for await (const item of this.unit(u)) table.push(u, item);
        return table;
      })();
      this.table.catch(() => {
        this.table = null; // a failed pass (a changed shard) is tried again, and fails again, on the next epoch
      });
    }
    return this.table;
  }

  /**
   * The samples of the steps from `fromStep` on, in batch order: each step's anchors (from
   * `pull`, the epoch's order), then, with a table, their neighbours drawn from (seed, epoch, step).
   */
  private async *batchItems(
    epoch: number,
    fromStep: number,
    pull: () => Promise<Indexed | null>,
    table: SampleTable | null,
  ): AsyncGenerator<Indexed> {
    const { seed, neighbors } = this.options;
    for (let step = fromStep; step < this.stepsPerEpoch; step++) {
      const anchors: number[] = [];
      const want = Math.min(this.anchorsPerBatch, this.samples - step * this.anchorsPerBatch);
      for (let k = 0; k < want; k++) {
        const item = await pull();
        if (!item) return; // the data ended early: the batch being built says so
        anchors.push(item.index);
        yield item;
      }
      if (!table || !neighbors) continue;
      const rng = new Rng(seed, 0x9e1b, epoch, step);
      for (const j of drawNeighbors(anchors, neighbors.count, neighbors.graph, this.samples, null, rng)) yield table.get(j);
    }
  }

  /** The usable samples of one unit with their stable numbers; a unit changed since indexing is an error. */
  private async *unit(u: number): AsyncGenerator<Indexed> {
    const { file, bytes, samples } = this.index.units[u];
    const changed = (what: string) =>
      new Error(`${file}: ${what} since it was indexed; index it again (or leave out the index option)`);
    if ((await fs.promises.stat(file)).size !== bytes) throw changed('changed size');
    let n = 0;
    for await (const item of this.format.scan(u, this.skip)) {
      if (n === samples) throw changed(`has more than its ${samples} usable samples`);
      yield { ...item, index: this.offsets[u] + n++ };
    }
    if (n !== samples) throw changed(`has ${n} usable samples, not ${samples},`);
  }

  /** Epoch `epoch`'s sample order: shards in an order drawn from (seed, epoch), through a shuffle buffer seeded likewise. */
  private async *shuffled(epoch: number): AsyncGenerator<Indexed> {
    const { seed, shuffleBuffer: capacity = 10_000, shuffleShards = true } = this.options;
    const units = Array.from(this.format.units, (_, u) => u);
    if (shuffleShards) new Rng(seed, 0x5ad, epoch).shuffle(units);
    const rng = new Rng(seed, 0xb0f, epoch);
    const buffer: Indexed[] = [];
    const held = () => {
      this.stats.buffered = buffer.length;
      this.stats.maxBuffered = Math.max(this.stats.maxBuffered, buffer.length);
    };
    try {
      for (const u of units) {
        for await (const item of this.unit(u)) {
          if (capacity === 0) {
            yield item;
          } else if (buffer.length < capacity) {
            buffer.push(item);
            held();
          } else {
            const j = rng.int(capacity);
            const out = buffer[j];
            buffer[j] = item;
            yield out;
          }
        }
      }
      while (buffer.length) {
        const j = rng.int(buffer.length);
        const out = buffer[j];
        buffer[j] = buffer[buffer.length - 1];
        buffer.pop();
        held();
        yield out;
      }
    } finally {
      buffer.length = 0;
      this.stats.buffered = 0;
    }
  }

  /** Reads and decodes one image; never rejects (an error is returned, to be thrown in order). */
  private async decode(item: Indexed, files: OpenFiles): Promise<{ item: Indexed; pixels?: Uint8Array; error?: unknown }> {
    this.stats.imagesHeld++;
    this.stats.maxImagesHeld = Math.max(this.stats.maxImagesHeld, this.stats.imagesHeld);
    try {
      let bytes: Buffer;
      try {
        bytes = await this.format.read(item.image, files);
      } catch (err) {
        const reason = this.format.unreadable(item.image, err as NodeJS.ErrnoException);
        if (reason === null) throw err;
        this.skip(item.key, reason);
        return { item };
      }
      try {
        const pixels = await decodeImage(bytes, this.height);
        this.stats.decoded++;
        this.report.read++;
        return { item, pixels };
      } catch (err) {
        if (err instanceof MissingOptionalPackageError) throw err;
        this.skip(item.key, this.format.corrupt(item.image, err));
        return { item };
      }
    } catch (error) {
      return { item, error };
    }
  }

  /**
   * Batches of epoch `epoch` from batch `fromStep` on. Step s holds the usable samples s·N to
   * (s + 1)·N − 1 of the epoch's order, less any whose image fails to decode (skipped, never
   * replaced, so that a resumed run stays in step); its augmentations are drawn from (seed, epoch,
   * s), as in `ContrastiveLoader`. The batches before `fromStep` are replayed without reading their
   * images. With `neighbors`, step s takes the samples s·A to (s + 1)·A − 1 (A = `anchorsPerBatch`)
   * and then their neighbours, drawn from (seed, epoch, s) and those anchors alone, so a resumed
   * epoch draws the same ones. The caller disposes each batch (`disposeBatch`).
   */
  async *epoch(epoch: number, fromStep = 0): AsyncGenerator<StreamBatch> {
    if (!Number.isInteger(fromStep) || fromStep < 0 || fromStep > this.stepsPerEpoch)
      throw new Error(`${this.name}: fromStep must be an integer in [0, ${this.stepsPerEpoch}], got ${fromStep}`);
    const { seed, augment, views = 2, viewSize, concurrency = 16, neighbors } = this.options;
    const table = neighbors?.count ? await this.sampleTable() : null;
    const anchorsPerBatch = this.anchorsPerBatch;
    const order = this.shuffled(epoch);
    const files = new OpenFiles();
    const window: ReturnType<CaptionStream['decode']>[] = [];
    // What the epoch's batches take: no image past the last batch is read.
    const limit = Math.min(this.samples, this.stepsPerEpoch * anchorsPerBatch);
    let pulled = 0;
    const pull = async () => {
      if (pulled === limit) return null;
      const next = await order.next();
      if (next.done) return null;
      pulled++;
      return next.value;
    };
    const items = this.batchItems(epoch, fromStep, pull, table);
    // Starts reads and decodes, in batch order, until `concurrency` are held.
    const fill = async () => {
      while (window.length < concurrency) {
        const next = await items.next();
        if (next.done) return;
        window.push(this.decode(next.value, files));
      }
    };
    const size = this.height * this.width * this.channels;
    try {
      for (let i = 0; i < fromStep * anchorsPerBatch; i++) if (!(await pull())) break; // replay: no image is read
      for (let step = fromStep; step < this.stepsPerEpoch; step++) {
        const anchors = Math.min(anchorsPerBatch, this.samples - step * anchorsPerBatch);
        const take = anchors + (table && neighbors ? Math.min(neighbors.count, this.samples - anchors) : 0);
        const host = new Float32Array(take * size);
        const kept: Indexed[] = [];
        let anchorsKept = 0;
        for (let k = 0; k < take; k++) {
          await fill();
          const next = window.shift();
          if (!next)
            throw new Error(`${this.name}: the data ended before sample ${step * anchorsPerBatch + k} of ${this.samples}`);
          const result = await next;
          this.stats.imagesHeld--;
          if ('error' in result) throw result.error;
          const { item, pixels } = result;
          if (!pixels) continue;
          const at = kept.length * size;
          for (let p = 0; p < size; p++) host[at + p] = pixels[p] / 255;
          kept.push(item);
          if (k < anchors) anchorsKept++;
        }
        await fill(); // the next batch's first images are read and decoded while this one trains
        if (!kept.length)
          throw new Error(`${this.name}: no image of batch ${step} of epoch ${epoch} decoded (see report.skipped)`);
        const n = kept.length;
        const images = tf.tensor4d(host.subarray(0, n * size), [n, this.height, this.width, this.channels]);
        const rng = new Rng(seed, 0xa09, epoch, step);
        let augmented: tf.Tensor4D[];
        try {
          augmented = Array.from({ length: views }, () => augmentBatch(images, augment, rng, viewSize));
        } catch (err) {
          images.dispose();
          throw err;
        }
        yield {
          epoch,
          step,
          indices: Int32Array.from(kept, (x) => x.index),
          ...(neighbors && { anchors: anchorsKept }),
          keys: kept.map((x) => x.key),
          captions: kept.map((x) => x.caption),
          labels: this.labelled ? Int32Array.from(kept, (x) => x.label) : undefined,
          images,
          views: augmented,
        };
      }
    } finally {
      await items.return(undefined);
      await order.return(undefined);
      for (const pending of window.splice(0)) {
        await pending;
        this.stats.imagesHeld--;
      }
      await files.close();
    }
  }
}

function record(item: Indexed): StreamRecord {
  return { index: item.index, key: item.key, caption: item.caption, label: item.label };
}

/**
 * Streams WebDataset tar shards (as `readWebDataset` reads them: `KEY.jpg|png|webp`, `KEY.txt`,
 * optional `KEY.json` with a `label`) as two-view batches, with memory bounded by the shuffle
 * buffer and `concurrency`, not by the dataset. Indexes the shards first (tar headers and caption
 * entries only) unless `options.index` is given; skipped samples are reported as `readWebDataset`
 * reports them, in `stream.report`.
 */
export async function streamWebDataset(shards: string[], options: StreamOptions): Promise<CaptionStream> {
  if (!shards.length) throw new Error('streamWebDataset: no shards given');
  await loadSharp('decoding images'); // a missing sharp is an error up front, not a skip per image
  return openStream(webDatasetFormat(shards), options);
}

/**
 * Streams a captioned JSONL or CSV manifest (or several, in the order given; each is shuffled as
 * a shard is) as two-view batches, with the rules of `readCaptionManifest`: images are read from
 * files when their batch is built.
 */
export async function streamCaptionManifest(
  manifests: string | string[],
  options: ManifestStreamOptions,
): Promise<CaptionStream> {
  const list = typeof manifests === 'string' ? [manifests] : manifests;
  if (!list.length) throw new Error('streamCaptionManifest: no manifest given');
  await loadSharp('decoding images');
  return openStream(manifestFormat(list, options), options);
}

function streamName(format: Format, options: StreamOptions): string {
  return options.name ?? format.units.map((f) => path.basename(f)).join(',');
}

/** Indexes the data unless `options.index` is given, building the sample table in the same pass when `neighbors` needs it. */
async function openStream(format: Format, options: StreamOptions): Promise<CaptionStream> {
  // What can be checked before the indexing pass; the graph's rows are checked against its count.
  if (options.neighbors) checkNeighbors(streamName(format, options), options.neighbors, options.batchSize);
  const skips = new Skips(options.onSkip);
  const table = options.neighbors?.count && !options.index ? new SampleTable(format) : undefined;
  const index = options.index ?? (await buildIndex(format, skips.add, table));
  return new CaptionStream(format, index, options, skips, table);
}
