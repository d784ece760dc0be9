import path from 'node:path';
import type { ImageDataset } from './dataset.js';
import { MissingOptionalPackageError } from './optional.js';
import { loadSharp } from './sharp.js';
import { readTar, type TarFile, TruncatedTarError } from './tar.js';

export interface CaptionedReadReport {
  /** Samples read. */
  read: number;
  /**
   * Samples skipped, with the reason for each, naming the shard or manifest line: a corrupt,
   * truncated or missing image, a missing caption, corrupt `KEY.json` metadata, a shard that ends
   * inside an entry (its tail is skipped).
   */
  skipped: { key: string; reason: string }[];
}

/** Image extensions of a WebDataset sample, in the order the first present is taken. */
export const IMAGE_EXT = ['.jpg', '.jpeg', '.png', '.webp'];

/**
 * Decodes an image with sharp, resized to cover `size` and centre-cropped, as RGB bytes.
 * Truncated or corrupt image data is an error (sharp's `failOn: 'warning'`, its strictest level).
 * sharp is an optional peer dependency, imported on first use: without it this is an error that
 * says how to install it.
 */
export async function decodeImage(bytes: Buffer, size: number): Promise<Uint8Array> {
  const sharp = await loadSharp('decoding images');
  const { data } = await sharp(bytes, { failOn: 'warning' })
    .removeAlpha()
    .resize(size, size, { fit: 'cover', position: 'centre' })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

/** The first line of an error message, for one-line reasons. */
export function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0];
}

/** `dir/KEY.ext.more` → key `dir/KEY`, extension `.ext.more` (lower case), as WebDataset groups files. */
export function splitName(name: string): { key: string; ext: string } {
  const base = path.posix.basename(name);
  const dot = base.indexOf('.');
  const key = `${path.posix.dirname(name)}/${dot < 0 ? base : base.slice(0, dot)}`.replace(/^\.\//, '');
  return { key, ext: dot < 0 ? '' : base.slice(dot).toLowerCase() };
}

/**
 * Reads WebDataset tar shards as img2dataset writes them (`KEY.jpg|png|webp`, `KEY.txt` caption,
 * optional `KEY.json` with a `label`; its other integer fields that every sample has become
 * `attributes`), streaming each shard without unpacking. Corrupt, truncated or missing images,
 * missing captions, corrupt `KEY.json` files and the broken tail of a shard that ends inside an
 * entry are skipped and reported with the shard and key, never fatal.
 */
export async function readWebDataset(
  shards: string[],
  options: { size?: number; classNames?: string[]; name?: string } = {},
): Promise<{ dataset: ImageDataset; report: CaptionedReadReport }> {
  const size = options.size ?? 32;
  await loadSharp('decoding images'); // a missing sharp is an error up front, not a skip per image
  const pixels: Uint8Array[] = [];
  const captions: string[] = [];
  const ids: string[] = [];
  const labels: number[] = [];
  // Integer fields of KEY.json besides `label`, by name; a field some sample lacks is dropped at the end.
  const fields = new Map<string, number[]>();
  const report: CaptionedReadReport = { read: 0, skipped: [] };
  for (const shard of shards) {
    let group: { key: string; files: Map<string, TarFile> } | null = null;
    const skip = (key: string, reason: string) => {
      report.skipped.push({ key, reason });
    };
    const flush = async () => {
      if (!group) return;
      const { key, files } = group;
      group = null;
      const image = IMAGE_EXT.map((e) => files.get(e)).find((f) => f);
      if (!image) return skip(key, `missing image (${shard}: no ${key}.jpg, .jpeg, .png or .webp)`);
      const caption = files.get('.txt')?.data.toString('utf8').trim();
      if (!caption)
        return skip(key, `missing caption (${shard}: ${files.has('.txt') ? `${key}.txt is empty` : `no ${key}.txt`})`);
      let meta: Record<string, unknown> = {};
      const json = files.get('.json');
      if (json) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(json.data.toString('utf8'));
        } catch (err) {
          return skip(key, `corrupt metadata (${shard}: ${json.name} is not valid JSON: ${firstLine(err)})`);
        }
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
          const got = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed;
          return skip(key, `corrupt metadata (${shard}: ${json.name} must hold a JSON object, got ${got})`);
        }
        meta = parsed as Record<string, unknown>;
      }
      let decoded: Uint8Array;
      try {
        decoded = await decodeImage(image.data, size);
      } catch (err) {
        if (err instanceof MissingOptionalPackageError) throw err;
        return skip(key, `corrupt image (${shard}: ${image.name}: ${firstLine(err)})`);
      }
      pixels.push(decoded);
      captions.push(caption);
      ids.push(key);
      labels.push(Number.isInteger(meta.label) ? (meta.label as number) : -1);
      for (const [name, value] of Object.entries(meta)) {
        if (name === 'label' || !Number.isInteger(value)) continue;
        if (report.read === 0 && !fields.has(name)) fields.set(name, []);
        const values = fields.get(name);
        if (values?.length === report.read) values.push(value as number); // else a sample before lacked it
      }
      report.read++;
    };
    try {
      for await (const file of readTar(shard)) {
        const { key, ext } = splitName(file.name);
        if (!group || group.key !== key) {
          await flush();
          group = { key, files: new Map() };
        }
        group.files.set(ext, file);
      }
    } catch (err) {
      if (!(err instanceof TruncatedTarError)) throw err;
      // The sample the cut entry belongs to is incomplete (when the name is cut too, the sample
      // being read is taken to be it); the samples before it are read.
      const cutKey = err.entry === null ? null : splitName(err.entry).key;
      const reason = `truncated shard (${shard}: ${err.detail}; the rest of the shard is skipped)`;
      const current = group as { key: string } | null;
      if (current && (cutKey === null || cutKey === current.key)) {
        group = null;
        skip(current.key, reason);
      } else {
        await flush();
        skip(cutKey ?? '?', reason);
      }
    }
    await flush();
  }
  const all = new Uint8Array(pixels.length * size * size * 3);
  pixels.forEach((p, i) => {
    all.set(p, i * size * size * 3);
  });
  const hasLabels = labels.every((l) => l >= 0) && labels.length > 0;
  const attributes = Object.fromEntries(
    [...fields].filter(([, values]) => values.length === report.read).map(([name, values]) => [name, Int32Array.from(values)]),
  );
  return {
    dataset: {
      name: options.name ?? `webdataset(${shards.length} shards)`,
      size: pixels.length,
      height: size,
      width: size,
      channels: 3,
      pixels: all,
      captions,
      ids,
      labels: hasLabels ? Int32Array.from(labels) : undefined,
      classNames: hasLabels ? options.classNames : undefined,
      attributes: report.read && Object.keys(attributes).length ? attributes : undefined,
      source: `webdataset:${shards.length === 1 ? shards[0] : `${path.dirname(shards[0])} (${shards.length} shards)`}`,
    },
    report,
  };
}
