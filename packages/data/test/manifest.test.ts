import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readCaptionManifest, readRecords } from '../src/index.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-manifest-'));
const colours = [
  [200, 20, 20],
  [20, 200, 20],
  [20, 20, 200],
] as const;

async function writeImages() {
  fs.mkdirSync(path.join(dir, 'images'), { recursive: true });
  for (const [i, [r, g, b]] of colours.entries()) {
    await sharp({ create: { width: 40 + 8 * i, height: 40, channels: 3, background: { r, g, b } } })
      .png()
      .toFile(path.join(dir, 'images', `img${i}.png`));
  }
  fs.writeFileSync(path.join(dir, 'images', 'broken.jpg'), 'not a jpeg');
}

describe('readCaptionManifest', () => {
  it('reads a JSONL manifest with an image folder; missing and corrupt images and empty captions are skipped and reported', async () => {
    await writeImages();
    const rows = [
      { image: 'img0.png', caption: 'a red square', label: 0 },
      { image: 'missing.png', caption: 'gone', label: 1 },
      { image: 'img1.png', caption: 'a green square', label: 1 },
      { image: 'broken.jpg', caption: 'broken', label: 2 },
      { image: 'img2.png', caption: '', label: 2 },
      { image: 'img2.png', caption: 'a blue square', label: 2 },
    ];
    const manifest = path.join(dir, 'train.jsonl');
    fs.writeFileSync(manifest, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
    const { dataset, report } = await readCaptionManifest(manifest, {
      imageDir: path.join(dir, 'images'),
      labelField: 'label',
      size: 16,
      classNames: ['r', 'g', 'b'],
    });
    expect(dataset.size).toBe(3);
    expect(report.read).toBe(3);
    expect(dataset.captions).toEqual(['a red square', 'a green square', 'a blue square']);
    expect(Array.from(dataset.labels!)).toEqual([0, 1, 2]);
    expect(dataset.ids).toEqual(['img0.png', 'img1.png', 'img2.png']);
    expect([dataset.height, dataset.width, dataset.channels]).toEqual([16, 16, 3]);
    for (let i = 0; i < 3; i++) expect(Array.from(dataset.pixels.subarray(i * 768, i * 768 + 3))).toEqual([...colours[i]]);
    const reasons = Object.fromEntries(report.skipped.map((s) => [s.key, s.reason]));
    expect(Object.keys(reasons).sort()).toEqual(['broken.jpg', 'img2.png', 'missing.png']);
    expect(reasons['missing.png']).toBe(`missing image (${manifest}:2: ${path.join(dir, 'images', 'missing.png')} not found)`);
    expect(reasons['broken.jpg']).toContain(`corrupt image (${manifest}:4: ${path.join(dir, 'images', 'broken.jpg')}: `);
    expect(reasons['img2.png']).toBe(`missing caption (${manifest}:5: field "caption" is empty or absent)`);
  });

  it('reads a CSV manifest with quoted captions and custom field names', async () => {
    await writeImages();
    const manifest = path.join(dir, 'captions.csv');
    fs.writeFileSync(
      manifest,
      'file_name,text\r\nimages/img0.png,"a red square, small"\r\nimages/img1.png,"she said ""green"""\r\n',
    );
    const { dataset, report } = await readCaptionManifest(manifest, { captionField: 'text' });
    expect(report.skipped).toEqual([]);
    expect(dataset.captions).toEqual(['a red square, small', 'she said "green"']);
    expect(dataset.labels).toBeUndefined();
  });

  it('names the file and line of a bad row', async () => {
    const manifest = path.join(dir, 'bad.jsonl');
    fs.writeFileSync(manifest, '{"image": "a.png", "caption": "x", "label": "cat"}\n');
    await expect(readCaptionManifest(manifest, { labelField: 'label' })).rejects.toThrow(
      `${manifest}:1: field "label" must be a non-negative integer label, got "cat"`,
    );
    fs.writeFileSync(manifest, '{"img": "a.png"}\n');
    await expect(readCaptionManifest(manifest)).rejects.toThrow(
      `${manifest}:1: no image field (looked for image, file_name, filepath, path, url; fields: img); pass imageField`,
    );
    fs.writeFileSync(manifest, '{"image": "a.png"}\nnot json\n');
    await expect(readCaptionManifest(manifest)).rejects.toThrow(`${manifest}:2: not valid JSON`);
    await expect(readCaptionManifest(path.join(dir, 'x.txt'))).rejects.toThrow(/file not found/);
  });

  it('readRecords streams JSONL and CSV rows with line numbers', async () => {
    const csv = path.join(dir, 'r.csv');
    fs.writeFileSync(csv, 'a,b\n1,"x\ny"\n2,z\n');
    const rows = [];
    for await (const r of readRecords(csv)) rows.push(r);
    expect(rows).toEqual([
      { line: 3, record: { a: '1', b: 'x\ny' } },
      { line: 4, record: { a: '2', b: 'z' } },
    ]);
  });
});
