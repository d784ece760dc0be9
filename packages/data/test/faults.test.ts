// Fault injection: stale caches, paths that leave the dataset folder, truncated shards and images,
// corrupt metadata and CSV quoting. Each case must be reported (skipped and counted, or an error
// naming the file, line, key or field), never passed through silently.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  encodeIdx,
  loadMnistFamily,
  openDataset,
  readCaptionManifest,
  readRecords,
  readTar,
  readWebDataset,
  TAR_END,
  tarEntry,
} from '../src/index.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-faults-'));
let n = 0;
const fresh = (name: string) => {
  const dir = path.join(root, `${name}-${n++}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
};

const png = (r: number, g: number, b: number) =>
  sharp({ create: { width: 12, height: 12, channels: 3, background: { r, g, b } } })
    .png()
    .toBuffer();
const jpeg = () =>
  sharp({
    create: {
      width: 128,
      height: 128,
      channels: 3,
      background: { r: 0, g: 0, b: 0 },
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  })
    .jpeg()
    .toBuffer();

/** One WebDataset sample: image, caption and label entries. */
async function sample(key: string, label: number, image?: { ext: string; data: Buffer }): Promise<Buffer[]> {
  const { ext, data } = image ?? { ext: 'png', data: await png(10 * label, 100, 200) };
  return [
    tarEntry(`${key}.${ext}`, data),
    tarEntry(`${key}.txt`, Buffer.from(`sample ${key}`)),
    tarEntry(`${key}.json`, Buffer.from(JSON.stringify({ label }))),
  ];
}

describe('the IDX decode cache follows the source files', () => {
  it('a replaced file is decoded again; a truncated one is an error naming the file and the expected size', () => {
    const dir = fresh('idx');
    const cacheDir = fresh('idx-cache');
    const images = path.join(dir, 'train-images-idx3-ubyte');
    fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), encodeIdx([4], Uint8Array.from([0, 1, 2, 3])));
    fs.writeFileSync(images, encodeIdx([4, 28, 28], new Uint8Array(4 * 784).fill(7)));
    const load = () => loadMnistFamily('mnist', { dataDir: dir, split: 'train', cacheDir });
    expect(load().pixels[0]).toBe(7);
    expect(load().pixels[0]).toBe(7); // from the cache

    // Same size, new content, a later mtime (as a copy or a re-download leaves it).
    const { mtimeMs } = fs.statSync(images);
    fs.writeFileSync(images, encodeIdx([4, 28, 28], new Uint8Array(4 * 784).fill(9)));
    fs.utimesSync(images, new Date(mtimeMs + 10_000), new Date(mtimeMs + 10_000));
    expect(load().pixels[0]).toBe(9);
    expect(fs.readdirSync(cacheDir).filter((f) => f.endsWith('.bin'))).toHaveLength(1); // the stale file is replaced

    fs.truncateSync(images, 1000);
    expect(load).toThrow(`${images}: truncated IDX data: the header says [4, 28, 28] = 3136 bytes, the file has 984`);
  });
});

describe('manifest image paths stay inside the image folder', () => {
  it('absolute paths and ../ that leave the folder are errors naming the file, line, field and path; symlinks inside are read', async () => {
    const dir = fresh('confine');
    const data = path.join(dir, 'data');
    fs.mkdirSync(path.join(data, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(data, 'a.png'), await png(200, 0, 0));
    fs.writeFileSync(path.join(dir, 'outside.png'), await png(0, 200, 0));
    fs.symlinkSync(path.join(dir, 'outside.png'), path.join(data, 'link.png'));
    const manifest = path.join(data, 'train.jsonl');
    const write = (...images: string[]) =>
      fs.writeFileSync(manifest, `${images.map((image, i) => JSON.stringify({ image, caption: `c${i}` })).join('\n')}\n`);

    write('a.png', 'sub/../a.png', 'link.png', path.join(data, 'a.png'));
    const { dataset, report } = await readCaptionManifest(manifest, { size: 4 });
    expect([dataset.size, report.skipped]).toEqual([4, []]);

    write('a.png', '/etc/passwd');
    await expect(readCaptionManifest(manifest)).rejects.toThrow(
      `${manifest}:2: field "image": "/etc/passwd" is outside the image folder ${data}; image paths must stay inside it (relative to it, without ../ that leaves it)`,
    );
    write('../outside.png');
    await expect(readCaptionManifest(manifest)).rejects.toThrow(
      `${manifest}:1: field "image": "../outside.png" is outside the image folder ${data}`,
    );
    fs.writeFileSync(manifest, '{"file": "sub/../../outside.png", "caption": "x"}\n');
    await expect(readCaptionManifest(manifest, { imageField: 'file', imageDir: data })).rejects.toThrow(
      `${manifest}:1: field "file": "sub/../../outside.png" is outside the image folder ${data}`,
    );
  });
});

describe('truncated tar shards', () => {
  it('a shard cut inside an entry header: the broken tail is skipped and counted, the next shard is read', async () => {
    const dir = fresh('cut-header');
    const good = Buffer.concat([...(await sample('a', 1)), ...(await sample('b', 2))]);
    const next = await sample('c', 3);
    const cut = path.join(dir, 'cut.tar');
    fs.writeFileSync(cut, Buffer.concat([good, next[0].subarray(0, 300)]));
    const whole = path.join(dir, 'whole.tar');
    fs.writeFileSync(whole, Buffer.concat([...(await sample('d', 4)), TAR_END]));

    const { dataset, report } = await readWebDataset([cut, whole], { size: 8 });
    expect(dataset.ids).toEqual(['a', 'b', 'd']);
    expect(Array.from(dataset.labels!)).toEqual([1, 2, 4]);
    expect(report.read).toBe(3);
    expect(report.skipped).toEqual([
      {
        key: 'c',
        reason: `truncated shard (${cut}: the file ends inside the header of c.png, 300 of 512 bytes; the rest of the shard is skipped)`,
      },
    ]);
  });

  it("a shard cut inside an entry's data skips that sample (not the samples before it)", async () => {
    const dir = fresh('cut-data');
    const b = await sample('b', 2);
    const cut = path.join(dir, 'cut.tar');
    fs.writeFileSync(cut, Buffer.concat([...(await sample('a', 1)), b[0], b[1], b[2].subarray(0, 512 + 5)]));
    const { dataset, report } = await readWebDataset([cut], { size: 8 });
    expect(dataset.ids).toEqual(['a']);
    expect(report.skipped).toEqual([
      {
        key: 'b',
        reason: `truncated shard (${cut}: the file ends inside b.json, 5 of 11 bytes; the rest of the shard is skipped)`,
      },
    ]);
    // readTar itself reports it as an error naming the file and the entry.
    const names: string[] = [];
    await expect(
      (async () => {
        for await (const { name } of readTar(cut)) names.push(name);
      })(),
    ).rejects.toThrow(`${cut}: truncated tar archive: the file ends inside b.json, 5 of 11 bytes`);
    expect(names).toEqual(['a.png', 'a.txt', 'a.json', 'b.png', 'b.txt']);
  });

  it('openDataset logs a truncated shard on a line of its own', async () => {
    const dir = fresh('open-cut');
    for (const split of ['train', 'test']) fs.mkdirSync(path.join(dir, split));
    const train = Buffer.concat([...(await sample('a', 1)), ...(await sample('b', 2))]);
    const cut = path.join(dir, 'train', '1.tar');
    fs.writeFileSync(path.join(dir, 'train', '0.tar'), Buffer.concat([...(await sample('z', 0)), TAR_END]));
    fs.writeFileSync(cut, train.subarray(0, train.length - 512 + 5));
    fs.writeFileSync(path.join(dir, 'test', '0.tar'), Buffer.concat([...(await sample('c', 3)), TAR_END]));
    const logged: string[] = [];
    const spec = { dataset: 'webdataset', path: dir, imageSize: 8, stream: false } as const;
    const d = await openDataset(spec, { log: (line) => logged.push(line) });
    expect(d.train.ids).toEqual(['z', 'a']);
    const reason = `truncated shard (${cut}: the file ends inside b.json, 5 of 11 bytes; the rest of the shard is skipped)`;
    expect(d.skipped).toEqual({ train: [{ key: 'b', reason }] });
    expect(logged).toEqual([`data: train: skipped 1 samples (first: b: ${reason})`, `data: train: b: ${reason}`]);
    // Streamed (the default): said once when the index pass meets it, however many passes follow.
    logged.length = 0;
    const s = await openDataset({ ...spec, stream: true }, { log: (line) => logged.push(line) });
    expect(s.streamed!.ids).toEqual(['z', 'a']);
    expect(s.skipped).toEqual({ train: [{ key: 'b', reason }] });
    expect(logged[0]).toBe(`data: train: skipped b: ${reason}`);
    expect(logged.slice(1)).toEqual([expect.stringMatching(/^data: webdataset\/train: 2 samples in 2 files, indexed in/)]);
  });

  it("missing end-of-archive blocks, a partial one, or the last entry's padding are fine", async () => {
    const dir = fresh('no-end');
    const shard = path.join(dir, 'no-end.tar');
    const body = Buffer.concat(await sample('a', 1));
    for (const bytes of [body, Buffer.concat([body, Buffer.alloc(300)]), body.subarray(0, body.length - 100)]) {
      fs.writeFileSync(shard, bytes);
      const { dataset, report } = await readWebDataset([shard], { size: 8 });
      expect([dataset.ids, report.skipped]).toEqual([['a'], []]);
    }
  });
});

describe('corrupt samples are skipped and counted with the shard and key', () => {
  it('a corrupt KEY.json', async () => {
    const dir = fresh('json');
    const b = await sample('b', 2);
    const shard = path.join(dir, 'meta.tar');
    fs.writeFileSync(
      shard,
      Buffer.concat([...(await sample('a', 1)), b[0], b[1], tarEntry('b.json', Buffer.from('{"label": 2')), TAR_END]),
    );
    const { dataset, report } = await readWebDataset([shard], { size: 8 });
    expect([dataset.ids, Array.from(dataset.labels!)]).toEqual([['a'], [1]]);
    expect(report.skipped).toHaveLength(1);
    expect(report.skipped[0].key).toBe('b');
    expect(report.skipped[0].reason).toMatch(
      new RegExp(`^corrupt metadata \\(${shard.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: b\\.json is not valid JSON: .+\\)$`),
    );
  });

  it('a JPEG cut to 300 bytes, in a shard and in a manifest', async () => {
    const dir = fresh('jpeg');
    const cutJpeg = (await jpeg()).subarray(0, 300);
    const shard = path.join(dir, 'img.tar');
    fs.writeFileSync(
      shard,
      Buffer.concat([...(await sample('a', 1)), ...(await sample('b', 2, { ext: 'jpg', data: Buffer.from(cutJpeg) })), TAR_END]),
    );
    const wds = await readWebDataset([shard], { size: 8 });
    expect(wds.dataset.ids).toEqual(['a']);
    expect(wds.report.skipped).toHaveLength(1);
    expect(wds.report.skipped[0].key).toBe('b');
    expect(wds.report.skipped[0].reason).toMatch(/^corrupt image \(.*: b\.jpg: .*premature end of JPEG/);
    expect(wds.report.skipped[0].reason).toContain(`(${shard}: b.jpg: `);

    fs.writeFileSync(path.join(dir, 'ok.png'), await png(1, 2, 3));
    fs.writeFileSync(path.join(dir, 'cut.jpg'), cutJpeg);
    const manifest = path.join(dir, 'm.jsonl');
    fs.writeFileSync(manifest, '{"image": "ok.png", "caption": "fine"}\n{"image": "cut.jpg", "caption": "cut"}\n');
    const m = await readCaptionManifest(manifest, { size: 8 });
    expect(m.dataset.ids).toEqual(['ok.png']);
    expect(m.report.skipped).toHaveLength(1);
    expect(m.report.skipped[0].key).toBe('cut.jpg');
    expect(m.report.skipped[0].reason).toMatch(/premature end of JPEG/);
    expect(m.report.skipped[0].reason).toContain(`corrupt image (${manifest}:2: ${path.join(dir, 'cut.jpg')}: `);
  });
});

describe('CSV quoting errors name the line where the bad field starts', () => {
  const rows = async (file: string) => {
    for await (const _ of readRecords(file)) {
      // drain
    }
  };

  it('an unclosed quote at the end of the file', async () => {
    const file = path.join(fresh('csv'), 'unclosed.csv');
    fs.writeFileSync(file, 'image,caption\na.png,ok\nb.png,"never closed\nc.png,fine\nd.png,also fine\n');
    await expect(rows(file)).rejects.toThrow(
      `${file}:3: field "caption" opens a quote that is never closed: the file ends inside it; a quoted field must end with " followed by a comma or a line break, and quotes inside it must be doubled ("")`,
    );
    await expect(readCaptionManifest(file)).rejects.toThrow(`${file}:3: field "caption" opens a quote`);
  });

  it('an unclosed quote that a later quote seems to close, after blank lines and a multi-line field', async () => {
    const file = path.join(fresh('csv'), 'later.csv');
    fs.writeFileSync(file, 'image,caption\r\na.png,"two\r\nlines"\r\n\r\nb.png,"bad\r\nc.png,"x"\r\n');
    await expect(rows(file)).rejects.toThrow(
      `${file}:5: field "caption" opens a quote that is not closed where expected: a quote in it is followed by other text`,
    );
    fs.writeFileSync(file, 'image,caption\na.png,ok\nb.png,"he said "hi" there"\nc.png,fine\n');
    await expect(rows(file)).rejects.toThrow(`${file}:3: field "caption" opens a quote that is not closed where expected`);
  });
});
