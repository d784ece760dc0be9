import path from 'node:path';
import { generateSynthetic, loadMnistFamily, type SynthSplit, writeWebDataset } from '@xclr/data';

/** The synthetic set's test splits, in ImageNet-9's style. */
export const SYNTH_TEST_SPLITS: SynthSplit[] = ['original', 'only-fg', 'mixed-same', 'mixed-rand'];

/**
 * `xclr data synth`: the synthetic captioned disambiguation set as WebDataset shards, objects from
 * the Fashion-MNIST training split for `train` and the test split for the four test splits.
 */
export async function writeSynthSplits(o: {
  out: string;
  trainCount: number;
  testCount: number;
  seed: number;
  shardSize: number;
  log: (l: string) => void;
}) {
  const splits: [SynthSplit, number, 'train' | 'test'][] = [
    ['train', o.trainCount, 'train'],
    ...SYNTH_TEST_SPLITS.map((s) => [s, o.testCount, 'test'] as [SynthSplit, number, 'test']),
  ];
  for (const [split, count, source] of splits) {
    const objects = loadMnistFamily('fashion-mnist', { split: source });
    const files = await writeWebDataset(
      generateSynthetic(objects, count, o.seed, split),
      path.join(o.out, split),
      split,
      o.shardSize,
    );
    o.log(`${split}: ${count} samples in ${files.length} shards under ${path.join(o.out, split)}`);
  }
}
