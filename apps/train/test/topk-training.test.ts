import fs from 'node:fs';
import path from 'node:path';
import { openDataset } from '@xclr/data';
import { readTopKFile } from '@xclr/graph';
import { beforeAll, describe, expect, it } from 'vitest';
import { runDirIn, stepLosses, TINY, tmpDir, writeCaptionedShards, xclr } from './helpers.js';

// The sparse-graph pipeline a user runs on captioned shards: embed the captions keyed by sample,
// build the top-k graph, train X-CLR against it, with neighbour-aware batches.
const dir = tmpDir('xclr-topk-train-');
const files = {
  captions: path.join(dir, 'captions.jsonl'),
  embeddings: path.join(dir, 'emb.arrow'),
  topk: path.join(dir, 'topk.arrow'),
};

beforeAll(async () => {
  await writeCaptionedShards(path.join(dir, 'data'), 96, 32);
  const { streamed } = await openDataset(
    { dataset: 'webdataset', path: path.join(dir, 'data'), imageSize: 16 },
    { trainSample: 8 },
  );
  const rows = streamed!.ids.map((key, i) => JSON.stringify({ key, caption: streamed!.captions[i] }));
  fs.writeFileSync(files.captions, `${rows.join('\n')}\n`);
  const embed = ['graph', 'embed', '--input', files.captions, '--id-field', 'key', '--out', files.embeddings, '--backend', 'cpu'];
  expect((await xclr(embed)).code).toBe(0);
  expect((await xclr(['graph', 'topk', '--embeddings', files.embeddings, '--k', '4', '--out', files.topk])).code).toBe(0);
});

const base = [
  'train',
  '--preset',
  'synth-xclr',
  ...TINY,
  ...['--set', 'data.dataset=webdataset', '--set', `data.path=${path.join(dir, 'data')}`, '--set', 'data.imageSize=16'],
  ...['--set', 'train.batchSize=16', '--set', 'train.maxSteps=3', '--set', 'eval.trainSize=40', '--set', 'eval.testSize=40'],
];
const topk = [
  '--set',
  'loss.graph=topk',
  '--set',
  `loss.graphFile=${files.topk}`,
  '--set',
  `loss.captionEmbeddings=${files.embeddings}`,
];

describe('loss.graph topk and data.neighbors', () => {
  it('trains X-CLR against a top-k graph file, with and without neighbour-aware batches', async () => {
    expect(readTopKFile(files.topk).k).toBe(4);
    const runs = [tmpDir('xclr-topk-a-'), tmpDir('xclr-topk-b-')];
    const plain = await xclr([...base, ...topk, '--runs-dir', runs[0]]);
    expect(plain.code, plain.err).toBe(0);
    expect(plain.err).toMatch(/graph: top-4 neighbours of 96 samples from .*topk\.arrow \(0 outside the split\)/);
    const neighbours = await xclr([...base, ...topk, '--set', 'data.neighbors=8', '--runs-dir', runs[1]]);
    expect(neighbours.code, neighbours.err).toBe(0);
    const [a, b] = runs.map((r) => stepLosses(runDirIn(r)));
    expect(a.map(([s]) => s)).toEqual([1, 2, 3]);
    // Same model, seed and targets' graph: only the batches differ, so the losses do.
    expect(b[0][1]).not.toBe(a[0][1]);
  });

  it('joins a keyed embeddings file to the streamed samples; a sample without one is an error naming its key', async () => {
    const runs = tmpDir('xclr-topk-emb-');
    const r = await xclr([...base, '--set', `loss.captionEmbeddings=${files.embeddings}`, '--runs-dir', runs]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/graph: 96 distinct captions embedded with use-lite \(512-d\)/);
    const lines = fs.readFileSync(files.captions, 'utf8').trim().split('\n');
    const partial = path.join(dir, 'partial.jsonl');
    fs.writeFileSync(partial, `${lines.slice(1).join('\n')}\n`);
    const partialEmb = path.join(dir, 'partial.arrow');
    expect(
      (await xclr(['graph', 'embed', '--input', partial, '--id-field', 'key', '--out', partialEmb, '--backend', 'cpu'])).code,
    ).toBe(0);
    const missing = await xclr([...base, '--set', `loss.captionEmbeddings=${partialEmb}`]);
    const key = JSON.parse(lines[0]).key;
    expect(missing.err).toContain(`xclr: ${partialEmb}: no embedding for sample key "${key}" (1 of 96 distinct keys missing`);
  });

  it('says which settings topk and neighbours need', async () => {
    const missing = await xclr([...base, '--set', 'loss.graph=topk']);
    expect(missing.err).toContain(
      'xclr: loss.graph topk: set loss.graphFile (a top-k file) and loss.captionEmbeddings (the file it was built from)',
    );
    const noGraph = await xclr([...base, '--set', 'data.neighbors=4']);
    expect(noGraph.err).toContain('xclr: data.neighbors: the neighbours come from loss.graph topk; set it');
    const tooMany = await xclr([...base, ...topk, '--set', 'data.neighbors=16']);
    expect(tooMany.code).toBe(1);
    expect(tooMany.err).toMatch(/neighbors.*16/);
  });
});
