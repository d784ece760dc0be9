// A few X-CLR steps of an MLP encoder on the cpu backend, with @xclr/losses + @xclr/models as a
// user installs them; shared by the ESM (esm.mjs) and CommonJS (cjs.cjs) consumers, which each
// load the packages their own way and pass them in.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

exports.trainFewSteps = async function trainFewSteps({ tf, losses, models, checkpoint, evaluation }, label) {
  await tf.setBackend('cpu');
  const config = { encoder: { type: 'mlp', inputShape: [8, 8, 1], hidden: [32] }, head: { hidden: 32, output: 16 } };
  const model = new models.ContrastiveModel(config, 0);
  const optimizer = tf.train.adam(1e-2);
  const viewA = tf.randomUniform([16, 8, 8, 1], 0, 1, 'float32', 1);
  const viewB = tf.add(viewA, tf.randomNormal([16, 8, 8, 1], 0, 0.05, 'float32', 2));
  const captions = tf.randomNormal([16, 12], 0, 1, 'float32', 3);
  const unit = tf.div(captions, tf.norm(captions, 2, 1, true));
  const similarity = tf.matMul(unit, unit, false, true);
  const history = [];
  for (let step = 0; step < 8; step++) {
    const { loss } = models.trainStep(
      () => {
        const [zA, zB] = model.projectViews(viewA, viewB);
        return losses.xclrLoss(zA, zB, similarity, { temperature: 0.1, targetTemperature: 0.1 });
      },
      { optimizer, variables: model.trainableWeights },
    );
    history.push(loss);
  }
  if (!history.every(Number.isFinite)) throw new Error(`${label}: non-finite loss ${history}`);
  if (!(history.at(-1) < history[0])) throw new Error(`${label}: the loss did not go down: ${history.join(', ')}`);
  const line = [
    `${label}: tfjs-core ${tf.version_core}, X-CLR loss ${history[0].toFixed(3)} -> ${history.at(-1).toFixed(3)} in 8 steps`,
  ];

  if (checkpoint) {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-pack-ckpt-')), 'last');
    await checkpoint.saveCheckpoint(dir, {
      architecture: config,
      variables: model.trainableWeights,
      optimizer,
      step: 8,
      epoch: 0,
    });
    const restored = new models.ContrastiveModel(config, 1);
    const manifest = await checkpoint.loadCheckpoint(dir, { architecture: config, variables: restored.trainableWeights });
    const same = tf.tidy(() => tf.max(tf.abs(tf.sub(model.embed(viewA), restored.embed(viewA)))).dataSync()[0]);
    if (manifest.step !== 8 || same > 1e-6)
      throw new Error(`${label}: checkpoint round trip differs (step ${manifest.step}, max diff ${same})`);
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    line.push('checkpoint round trip exact');
  }
  if (evaluation) {
    const labels = Array.from({ length: 16 }, (_, i) => i % 4);
    const f = evaluation.features(model.embed(viewA).dataSync(), 32);
    const { accuracy } = await evaluation.knnClassify(f, labels, f, labels, { ks: [1] });
    if (!(accuracy[1] >= 0 && accuracy[1] <= 1)) throw new Error(`${label}: kNN accuracy ${JSON.stringify(accuracy)}`);
    line.push(`kNN@1 on its own features ${accuracy[1]}`);
  }
  return line.join(', ');
};
