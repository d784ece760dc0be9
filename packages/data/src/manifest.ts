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
export async function readCaptionManifest(
  manifest: string,
  options: ManifestOptions = {},
): Promise<{ dataset: ImageDataset; report: CaptionedReadReport }> {
  const size = options.size ?? 32;
  const imageDir = path.resolve(options.imageDir ?? path.dirname(manifest));
  const captionField = options.captionField ?? 'caption';
  const concurrency = options.concurrency ?? 8;
  await loadSharp('decoding images'); // a missing sharp is an error up front, not a skip per image
  const report: CaptionedReadReport = { read: 0, skipped: [] };
  type Row = { id: string; caption: string; label: number; pixels: Uint8Array | null };
  const rows: Row[] = [];
  let imageField = options.imageField;
  let pending: Promise<void>[] = [];

  for await (const { line, record } of readRecords(manifest)) {
    imageField ??= IMAGE_FIELDS.find((f) => f in record);
    if (!imageField || !(imageField in record)) {
      throw new Error(
        `${manifest}:${line}: no image field (looked for ${options.imageField ?? IMAGE_FIELDS.join(', ')}; fields: ${Object.keys(record).join(', ')}); pass imageField`,
      );
    }
    const file = String(record[imageField]);
    const where = `${manifest}:${line}`;
    // Images are confined to the folder the user named: a path that resolves outside it (absolute,
    // or with ../ that leaves it) is an error. Symbolic links inside the folder are followed.
    const imagePath = path.resolve(imageDir, file);
    const relative = path.relative(imageDir, imagePath);
    if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
      throw new Error(
        `${where}: field "${imageField}": ${JSON.stringify(file)} is outside the image folder ${imageDir}; image paths must stay inside it (relative to it, without ../ that leaves it)`,
      );
    }
    const id = options.idField ? String(record[options.idField]) : file;
    const caption = record[captionField];
    if (typeof caption !== 'string' || !caption.trim()) {
      report.skipped.push({ key: id, reason: `missing caption (${where}: field "${captionField}" is empty or absent)` });
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
    const row: Row = { id, caption: caption.trim(), label, pixels: null };
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
