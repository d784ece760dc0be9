import { arg, meanStd, pct } from './study.mjs';

// The datasets the queue and batch-size studies train on, and their per-method presets: the
// Fashion-MNIST presets as they are; on the synthetic captioned set SupCon is the synth-xclr
// preset with the SupCon loss (object labels), at SupCon's preset temperature.
export const datasets = [
  {
    name: 'fmnist',
    inputShape: [28, 28, 1],
    presets: { xclr: 'fmnist-xclr', ntxent: 'fmnist-simclr', supcon: 'fmnist-supcon' },
    set: { xclr: [], ntxent: [], supcon: [] },
  },
  {
    name: 'synth',
    inputShape: [32, 32, 3],
    presets: { xclr: 'synth-xclr', ntxent: 'synth-simclr', supcon: 'synth-xclr' },
    set: { xclr: [], ntxent: [], supcon: ['loss.type=supcon', 'loss.temperature=0.1'] },
  },
];

/** The ConvNet of the earlier captions study (conv 32, pool, conv 64, pool, dense 512) for a dataset's images. */
export const convnetFor = (d) =>
  `model.encoder=${JSON.stringify({ type: 'convnet', inputShape: d.inputShape, filters: [32, 64], output: 512 })}`;

/**
 * `--encoder mlp|convnet` of the Fashion-MNIST studies: the presets' MLP, or `convnetFor` the
 * dataset in its place (same steps); ConvNet variants are named with a `-convnet` suffix.
 */
export function encoderOption(datasetName = 'fmnist') {
  const encoder = arg('encoder', 'mlp');
  if (!['mlp', 'convnet'].includes(encoder)) throw new Error(`--encoder must be mlp or convnet, got ${encoder}`);
  if (encoder === 'mlp') return { encoder, suffix: '', set: [] };
  return { encoder, suffix: `-${encoder}`, set: [convnetFor(datasets.find((d) => d.name === datasetName))] };
}

/** Linear probe and kNN fit on 10,000 training images (all test images), to keep each run's evaluation short. */
export const studyEval = ['eval.trainSize=10000'];

/**
 * The variants of a dataset × method × value grid, named `<data>-<method>-<key><value>`: each
 * method's preset and settings, the ConvNet, `steps`, the short evaluation and `settings(value)`.
 */
export function gridVariants({ methods, values, key, steps, settings }) {
  return datasets.flatMap((d) =>
    methods.flatMap((method) =>
      values.map((value) => ({
        name: `${d.name}-${method}-${key}${value}`,
        preset: d.presets[method],
        set: [...d.set[method], convnetFor(d), ...steps, ...studyEval, ...settings(value)],
      })),
    ),
  );
}

/** One markdown table per dataset of a grid's runs: kNN@20 / linear top-1 %, mean ± std over seeds. */
export function printGrid(runs, { methods, values, key, title, column }) {
  for (const d of datasets) {
    console.log(`\n${d.name}: kNN@20 / linear top-1 %${title} (mean ± std over seeds)`);
    console.log(`| method | ${values.map(column).join(' | ')} |`);
    console.log(`|---|${values.map(() => '---').join('|')}|`);
    for (const method of methods) {
      const cells = values.map((value) => {
        const ss = runs.filter((r) => r.variant === `${d.name}-${method}-${key}${value}`).map((r) => r.summary);
        return ss.length ? `${pct(meanStd(ss.map((s) => s.knnTop1)))} / ${pct(meanStd(ss.map((s) => s.linearTop1)))}` : '–';
      });
      console.log(`| ${method} | ${cells.join(' | ')} |`);
    }
  }
}
