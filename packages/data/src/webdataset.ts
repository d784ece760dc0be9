import path from 'node:path';
import sharp from 'sharp';
import type { ImageDataset } from './dataset.js';
import { readTar } from './tar.js';

export interface CaptionedReadReport {
  /** Samples read. */
  read: number;
  /** Samples skipped, with the reason for each (corrupt or missing image, missing caption). */
  skipped: { key: string; reason: string }[];
}

const IMAGE_EXT = ['.jpg', '.jpeg', '.png', '.webp'];

/** Decodes an image with sharp, resized to cover `size` and centre-cropped, as RGB bytes. */
export async function decodeImage(bytes: Buffer, size: number): Promise<Uint8Array> {
  const { data } = await sharp(bytes).removeAlpha().resize(size, size, { fit: 'cover', position: 'centre' }).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

/**
 * Reads WebDataset tar shards as img2dataset writes them (`KEY.jpg|png|webp`, `KEY.txt` caption,
 * optional `KEY.json` with a `label`), streaming each shard without unpacking. Corrupt or missing
 * images and missing captions are skipped and reported, never fatal.
 */
export async function readWebDataset(
  shards: string[],
  options: { size?: number; classNames?: string[]; name?: string } = {},
): Promise<{ dataset: ImageDataset; report: CaptionedReadReport }> {
  const size = options.size ?? 32;
  const pixels: Uint8Array[] = [];
  const captions: string[] = [];
  const ids: string[] = [];
  const labels: number[] = [];
  const report: CaptionedReadReport = { read: 0, skipped: [] };
  for (const shard of shards) {
    let group: { key: string; files: Map<string, Buffer> } | null = null;
    const flush = async () => {
      if (!group) return;
      const { key, files } = group;
      const imageExt = IMAGE_EXT.find((e) => files.has(e));
      const caption = files.get('.txt');
      if (!imageExt) return report.skipped.push({ key, reason: 'missing image' });
      if (!caption) return report.skipped.push({ key, reason: 'missing caption' });
      let decoded: Uint8Array;
      try {
        decoded = await decodeImage(files.get(imageExt) as Buffer, size);
      } catch (err) {
        return report.skipped.push({ key, reason: `corrupt image (${(err as Error).message.split('\n')[0]})` });
      }
      const meta = files.has('.json') ? JSON.parse((files.get('.json') as Buffer).toString('utf8')) : {};
      pixels.push(decoded);
      captions.push(caption.toString('utf8').trim());
      ids.push(key);
      labels.push(Number.isInteger(meta.label) ? meta.label : -1);
      report.read++;
    };
    for await (const { name, data } of readTar(shard)) {
      const base = path.posix.basename(name);
      const dot = base.indexOf('.');
      const key = `${path.posix.dirname(name)}/${dot < 0 ? base : base.slice(0, dot)}`.replace(/^\.\//, '');
      const ext = dot < 0 ? '' : base.slice(dot).toLowerCase();
      if (!group || group.key !== key) {
        await flush();
        group = { key, files: new Map() };
      }
      group.files.set(ext, data);
    }
    await flush();
  }
  const all = new Uint8Array(pixels.length * size * size * 3);
  pixels.forEach((p, i) => {
    all.set(p, i * size * size * 3);
  });
  const hasLabels = labels.every((l) => l >= 0) && labels.length > 0;
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
      source: `webdataset:${shards.length === 1 ? shards[0] : `${path.dirname(shards[0])} (${shards.length} shards)`}`,
    },
    report,
  };
}
