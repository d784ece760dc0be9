import path from 'node:path';
import { generateSynthetic, loadMnistFamily, type SynthSplit, writeWebDataset } from '@xclr/data';

/**
 * `xclr data synth`: the synthetic captioned disambiguation set as WebDataset shards, objects from
 * the Fashion-MNIST training split for `train` and the test split for the four test splits.
 */
export async function dataSynth(o: { out: string; trainCount: number; testCount: number; seed: number; shardSize: number; log: (l: string) => void }) {
  const splits: [SynthSplit, number, 'train' | 'test'][] = [
    ['train', o.trainCount, 'train'],
    ['original', o.testCount, 'test'],
    ['only-fg', o.testCount, 'test'],
    ['mixed-same', o.testCount, 'test'],
    ['mixed-rand', o.testCount, 'test'],
  ];
  for (const [split, count, source] of splits) {
    const objects = loadMnistFamily('fashion-mnist', { split: source });
    const files = await writeWebDataset(generateSynthetic(objects, count, o.seed, split), path.join(o.out, split), split, o.shardSize);
    o.log(`${split}: ${count} samples in ${files.length} shards under ${path.join(o.out, split)}`);
  }
}
