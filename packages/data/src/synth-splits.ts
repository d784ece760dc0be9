import fs from 'node:fs';
import path from 'node:path';
import { defaultCacheDir, writeFileAtomic } from './cache.js';
import { loadMnistFamily } from './mnist-family.js';
import { loadSharp } from './sharp.js';
import { type SynthSplit, synthSamples, writeWebDataset } from './synth.js';
import { type SynthV2Split, synthV2Samples } from './synth-v2.js';

/** The synthetic set's test splits, in ImageNet-9's style. */
export const SYNTH_TEST_SPLITS: readonly SynthSplit[] = ['original', 'only-fg', 'mixed-same', 'mixed-rand'];

/** Every split of the synthetic set: `train`, then the test splits. */
export const SYNTH_SPLITS: readonly SynthSplit[] = ['train', ...SYNTH_TEST_SPLITS];

/** synth v2's test splits: v1's and `attributes` (held-out objects, every attribute uniform, for attribute probes). */
export const SYNTH_V2_TEST_SPLITS: readonly SynthV2Split[] = [...SYNTH_TEST_SPLITS, 'attributes'];

/** Every split of synth v2: `train`, then its test splits. */
export const SYNTH_V2_SPLITS: readonly SynthV2Split[] = ['train', ...SYNTH_V2_TEST_SPLITS];

/** Which synthetic set: 1, objects in a colour on a background; 2, compositional (see `synthV2Samples`). */
export type SynthVersion = 1 | 2;

/** The splits of a version of the synthetic set, `train` first. */
export function synthSplits(version: SynthVersion = 1): readonly SynthV2Split[] {
  return version === 2 ? SYNTH_V2_SPLITS : SYNTH_SPLITS;
}

/** Size and seed of a synthetic set (the data's seed, independent of a training run's). */
export interface SynthSize {
  /** Samples in `train`. */
  train: number;
  /** Samples in each test split. */
  test: number;
  seed: number;
  /** Side of the images (default 32). */
  size?: number;
  /** Which set (default 1): 2 is the compositional synth v2, in a folder of its own. */
  version?: SynthVersion;
}

/** The synthetic set a dataset spec gets when it names none. */
export const DEFAULT_SYNTH: Readonly<SynthSize> = Object.freeze({ train: 20000, test: 2000, seed: 0 });

export interface WriteSynthOptions {
  /** Folder that receives one sub-folder of shards per split. */
  out: string;
  trainCount: number;
  testCount: number;
  seed: number;
  /** Samples per tar shard. */
  shardSize: number;
  /** Side of the images (default 32; e.g. 64). */
  size?: number;
  /** Which set (default 1; 2: synth v2 and its `attributes` split). */
  version?: SynthVersion;
  /** Receives one line per split written. */
  log?: (line: string) => void;
  /** Where the Fashion-MNIST objects' decoded cache lives (default: `defaultCacheDir()`). */
  cacheDir?: string;
}

/**
 * Writes the synthetic captioned disambiguation set as WebDataset shards, `out/<split>/`: objects
 * from the Fashion-MNIST training split for `train` and from its test split for the test splits
 * (four; five with `version: 2`, whose `attributes` is the fifth; what `xclr data synth` writes).
 * Samples are generated as they are written, so memory holds the Fashion-MNIST split the objects
 * come from (47 MB for `train`) and a few samples, at any count and size; shards appear one by
 * one, each complete when it is renamed into place.
 */
export async function writeSynthSplits(o: WriteSynthOptions): Promise<void> {
  const log = o.log ?? (() => {});
  const version = o.version ?? 1;
  if (version !== 1 && version !== 2) throw new Error(`writeSynthSplits: version must be 1 or 2, got ${version}`);
  // A missing sharp is an error before Fashion-MNIST is decoded, not after.
  await loadSharp('writing WebDataset shards (PNG encoding)');
  for (const split of synthSplits(version)) {
    const count = split === 'train' ? o.trainCount : o.testCount;
    const source = split === 'train' ? 'train' : 'test';
    const objects = loadMnistFamily('fashion-mnist', { split: source, cacheDir: o.cacheDir });
    const samples =
      version === 2
        ? synthV2Samples(objects, count, o.seed, split, { size: o.size })
        : synthSamples(objects, count, o.seed, split as SynthSplit, { size: o.size });
    const files = await writeWebDataset(samples, path.join(o.out, split), split, o.shardSize);
    const size = o.size ?? 32;
    log(`${split}: ${count} samples (${size}×${size}) in ${files.length} shards under ${path.join(o.out, split)}`);
  }
}

/** The file whose presence says a synthetic set's folder is complete. */
export const SYNTH_COMPLETE_MARKER = 'complete';

/**
 * The folder of a synthetic set, generated there on first use: `spec.path` when given, else
 * `<cacheDir>/synth-v<V>-train<N>-test<M>-seed<S>` for `spec.synth` (default `DEFAULT_SYNTH`;
 * `V` its `version`, default 1; `-size<Z>` appended for images other than 32×32). A
 * folder counts as generated only once its `complete` marker exists; the marker is written
 * (atomically) after every split, so a generation that was killed is redone on the next call.
 */
export async function synthDir(
  spec: { path?: string; synth?: SynthSize } = {},
  options: { cacheDir?: string; log?: (line: string) => void } = {},
): Promise<string> {
  const s = spec.synth ?? DEFAULT_SYNTH;
  const log = options.log ?? (() => {});
  const dir =
    spec.path ??
    path.join(
      options.cacheDir ?? defaultCacheDir(),
      `synth-v${s.version ?? 1}-train${s.train}-test${s.test}-seed${s.seed}${(s.size ?? 32) === 32 ? '' : `-size${s.size}`}`,
    );
  const marker = path.join(dir, SYNTH_COMPLETE_MARKER);
  if (!fs.existsSync(marker)) {
    log(`data: generating the synthetic captioned set into ${dir} (once)`);
    // Shards left by an interrupted generation of another size would otherwise be read as well.
    for (const split of synthSplits(s.version)) {
      const splitDir = path.join(dir, split);
      if (!fs.statSync(splitDir, { throwIfNoEntry: false })?.isDirectory()) continue;
      for (const f of fs.readdirSync(splitDir)) if (f.endsWith('.tar')) fs.rmSync(path.join(splitDir, f), { force: true });
    }
    await writeSynthSplits({
      out: dir,
      trainCount: s.train,
      testCount: s.test,
      seed: s.seed,
      shardSize: 1000,
      size: s.size,
      version: s.version,
      log,
      cacheDir: options.cacheDir,
    });
    writeFileAtomic(marker, `${new Date().toISOString()}\n`);
  }
  return dir;
}
