import fs from 'node:fs/promises';
import path from 'node:path';
import type { ImageDataset } from './dataset.js';
import { MissingOptionalPackageError } from './optional.js';
import { readRecords } from './records.js';
import { loadSharp } from './sharp.js';
import { type CaptionedReadReport, decodeImage, firstLine } from './webdataset.js';

export interface ManifestOptions {
  /** Folder that image paths are resolved against and confined to (default: the manifest's folder). */
  imageDir?: string;
  /** Field holding the image path (default: the first of `image`, `file_name`, `filepath`, `path`, `url` present). */
  imageField?: string;
  /** Field holding the caption (default `caption`). */
  captionField?: string;
  /** Field holding an integer class label (optional). */
  labelField?: string;
  /** Field holding a stable id (default: the image path). */
  idField?: string;
  /** Output side: images are resized to cover `size × size` and centre-cropped (default 32). */
  size?: number;
  classNames?: string[];
  /** Images decoded at once (default 8). */
  concurrency?: number;
  name?: string;
}

const IMAGE_FIELDS = ['image', 'file_name', 'filepath', 'path', 'url'];

/**
 * Reads a captioned image dataset as users hold one: a JSONL or CSV manifest (one row per image:
 * image path, caption, optional label and id) next to an image folder. Images are decoded with
 * sharp and resized / centre-cropped to `size`; missing, truncated or corrupt images and rows
 * without a caption are skipped and reported with the manifest line, never fatal. An image path
 * that leaves the image folder (absolute, or with ../) and a malformed row are errors.
 */
/** One manifest row as both readers take it: an image inside the folder, its caption and label, or a skip. */
export type ManifestRow =
  | { key: string; caption: string; label: number; imagePath: string; where: string }
  | { skip: { key: string; reason: string } };

/**
 * The rows of a manifest under the rules every reader shares: a row without an image field, an
 * image path outside `imageDir` (absolute, or ../ that leaves it; symbolic links inside it are
 * followed) and a bad label are errors naming the file and line; a row without a caption is skipped.
 */
export async function* manifestRows(
  manifest: string,
  imageDir: string,
  options: Pick<ManifestOptions, 'imageField' | 'captionField' | 'labelField' | 'idField'>,
): AsyncGenerator<ManifestRow> {
  const captionField = options.captionField ?? 'caption';
  let imageField = options.imageField;
  for await (const { line, record } of readRecords(manifest)) {
    imageField ??= IMAGE_FIELDS.find((f) => f in record);
    if (!imageField || !(imageField in record)) {
      throw new Error(
        `${manifest}:${line}: no image field (looked for ${options.imageField ?? IMAGE_FIELDS.join(', ')}; fields: ${Object.keys(record).join(', ')}); pass imageField`,
      );
    }
    const file = String(record[imageField]);
    const where = `${manifest}:${line}`;
    const imagePath = path.resolve(imageDir, file);
    const relative = path.relative(imageDir, imagePath);
    if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
      throw new Error(
        `${where}: field "${imageField}": ${JSON.stringify(file)} is outside the image folder ${imageDir}; image paths must stay inside it (relative to it, without ../ that leaves it)`,
      );
    }
    const key = options.idField ? String(record[options.idField]) : file;
    const caption = record[captionField];
    if (typeof caption !== 'string' || !caption.trim()) {
      yield { skip: { key, reason: `missing caption (${where}: field "${captionField}" is empty or absent)` } };
      continue;
    }
    let label = -1;
    if (options.labelField) {
      label = Number(record[options.labelField]);
      if (!Number.isInteger(label) || label < 0) {
        throw new Error(
          `${where}: field "${options.labelField}" must be a non-negative integer label, got ${JSON.stringify(record[options.labelField])}`,
        );
      }
    }
    yield { key, caption: caption.trim(), label, imagePath, where };
  }
}

export async function readCaptionManifest(
  manifest: string,
  options: ManifestOptions = {},
): Promise<{ dataset: ImageDataset; report: CaptionedReadReport }> {
  const size = options.size ?? 32;
  const imageDir = path.resolve(options.imageDir ?? path.dirname(manifest));
  const concurrency = options.concurrency ?? 8;
  await loadSharp('decoding images'); // a missing sharp is an error up front, not a skip per image
  const report: CaptionedReadReport = { read: 0, skipped: [] };
  type Row = { id: string; caption: string; label: number; pixels: Uint8Array | null };
  const rows: Row[] = [];
  let pending: Promise<void>[] = [];

  for await (const entry of manifestRows(manifest, imageDir, options)) {
    if ('skip' in entry) {
      report.skipped.push(entry.skip);
      continue;
    }
    const { key: id, caption, label, imagePath, where } = entry;
    const row: Row = { id, caption, label, pixels: null };
    rows.push(row);
    pending.push(
      fs
        .readFile(imagePath)
        .then((bytes) => decodeImage(bytes, size))
        .then(
          (pixels) => {
            row.pixels = pixels;
          },
          (err: NodeJS.ErrnoException) => {
            if (err instanceof MissingOptionalPackageError) throw err;
            const reason =
              err.code === 'ENOENT'
                ? `missing image (${where}: ${imagePath} not found)`
                : err.code
                  ? `unreadable image (${where}: ${imagePath}: ${firstLine(err)})`
                  : `corrupt image (${where}: ${imagePath}: ${firstLine(err)})`;
            report.skipped.push({ key: id, reason });
          },
        ),
    );
    if (pending.length >= concurrency) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);

  const kept = rows.filter((r) => r.pixels);
  report.read = kept.length;
  const stride = size * size * 3;
  const pixels = new Uint8Array(kept.length * stride);
  kept.forEach((r, i) => {
    pixels.set(r.pixels as Uint8Array, i * stride);
  });
  const hasLabels = options.labelField !== undefined && kept.length > 0;
  return {
    dataset: {
      name: options.name ?? path.basename(manifest),
      size: kept.length,
      height: size,
      width: size,
      channels: 3,
      pixels,
      captions: kept.map((r) => r.caption),
      ids: kept.map((r) => r.id),
      labels: hasLabels ? Int32Array.from(kept, (r) => r.label) : undefined,
      classNames: hasLabels ? options.classNames : undefined,
      source: `manifest:${manifest}`,
    },
    report,
  };
}
