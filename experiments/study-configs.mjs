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

/** Linear probe and kNN fit on 10,000 training images (all test images), to keep each run's evaluation short. */
export const studyEval = ['eval.trainSize=10000'];
