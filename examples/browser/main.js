// X-CLR in a browser: a few training steps of an MLP encoder on random images of four classes,
// with targets from a soft class-similarity graph, then kNN on the learned features. The result
// goes into the page (#result, as JSON, and document.title 'done' or 'failed'), where
// scripts/browser-check.mjs reads it.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { features, knnClassify } from '@xclr/eval';
import { xclrLoss } from '@xclr/losses';
import { ContrastiveModel, trainStep } from '@xclr/models';

const CLASSES = 4;
const SIDE = 8;
const STEPS = 30;

/** `n` images of `SIDE`×`SIDE`, image i of class i % CLASSES: a class prototype plus noise. */
function images(n, seed) {
  const labels = Array.from({ length: n }, (_, i) => i % CLASSES);
  const x = tf.tidy(() => {
    const prototypes = tf.randomUniform([CLASSES, SIDE, SIDE, 1], 0, 1, 'float32', 7);
    const noise = tf.randomNormal([n, SIDE, SIDE, 1], 0, 0.25, 'float32', seed);
    return tf.clipByValue(tf.add(tf.gather(prototypes, labels), noise), 0, 1);
  });
  return { x, labels };
}

function drawLoss(history) {
  const canvas = document.getElementById('loss');
  const ctx = canvas.getContext('2d');
  const [lo, hi] = [Math.min(...history), Math.max(...history)];
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.strokeStyle = '#1f77b4';
  ctx.lineWidth = 2;
  ctx.beginPath();
  history.forEach((v, i) => {
    const px = 10 + (i / (history.length - 1)) * (canvas.width - 20);
    const py = 10 + (1 - (v - lo) / (hi - lo || 1)) * (canvas.height - 20);
    if (i === 0) ctx.moveTo(px, py);
    else ctx.lineTo(px, py);
  });
  ctx.stroke();
  ctx.fillText(`X-CLR loss ${history[0].toFixed(3)} → ${history.at(-1).toFixed(3)}`, 14, 20);
}

async function main() {
  await tf.setBackend('cpu');
  await tf.ready();
  const started = performance.now();
  const config = { encoder: { type: 'mlp', inputShape: [SIDE, SIDE, 1], hidden: [32] }, head: { hidden: 32, output: 16 } };
  const model = new ContrastiveModel(config, 0);
  const optimizer = tf.train.adam(1e-2);
  const train = images(64, 1);
  // The soft target graph: sample i and j are similar as their classes are (1 on the diagonal,
  // 0.5 between neighbouring classes), as X-CLR builds it from caption similarities.
  const similarity = tf.tidy(() => {
    const c = tf.cast(tf.oneHot(tf.tensor1d(train.labels, 'int32'), CLASSES), 'float32');
    const classGraph = tf.tensor2d(
      Array.from({ length: CLASSES * CLASSES }, (_, k) => {
        const d = Math.abs(Math.floor(k / CLASSES) - (k % CLASSES));
        return d === 0 ? 1 : d === 1 ? 0.5 : 0;
      }),
      [CLASSES, CLASSES],
    );
    return tf.matMul(tf.matMul(c, classGraph), c, false, true);
  });
  const history = [];
  for (let step = 0; step < STEPS; step++) {
    const { loss } = trainStep(
      () => {
        const viewA = tf.add(train.x, tf.randomNormal(train.x.shape, 0, 0.05, 'float32', 100 + step));
        const viewB = tf.add(train.x, tf.randomNormal(train.x.shape, 0, 0.05, 'float32', 200 + step));
        const [zA, zB] = model.projectViews(viewA, viewB);
        return xclrLoss(zA, zB, similarity, { temperature: 0.1, targetTemperature: 0.1 });
      },
      { optimizer, variables: model.trainableWeights },
    );
    history.push(loss);
    document.getElementById('status').textContent = `step ${step + 1}/${STEPS}: loss ${loss.toFixed(4)}`;
    await new Promise((r) => setTimeout(r, 0));
  }
  drawLoss(history);
  const test = images(32, 2);
  const embed = (x) => tf.tidy(() => model.embed(x).dataSync());
  const trainFeatures = features(embed(train.x), 32);
  const testFeatures = features(embed(test.x), 32);
  const { accuracy } = await knnClassify(trainFeatures, train.labels, testFeatures, test.labels, { ks: [1, 5] });
  const result = {
    backend: tf.getBackend(),
    tfjs: tf.version_core,
    steps: STEPS,
    lossFirst: history[0],
    lossLast: history.at(-1),
    loss: history,
    knn: accuracy, // top-1 accuracy of the k-nearest-neighbour vote, by k
    numTensorsLeft: tf.memory().numTensors,
    milliseconds: Math.round(performance.now() - started),
    userAgent: navigator.userAgent,
  };
  document.getElementById('status').textContent =
    `${STEPS} steps: X-CLR loss ${result.lossFirst.toFixed(3)} → ${result.lossLast.toFixed(3)}; kNN@5 on held-out images ${(100 * accuracy[5]).toFixed(1)}%`;
  document.getElementById('summary').textContent = [
    `backend: ${result.backend} (tfjs ${result.tfjs}), ${result.milliseconds} ms`,
    `loss by step: ${history.map((v) => v.toFixed(3)).join(' ')}`,
    `kNN top-1 on 32 held-out images: k=1 ${accuracy[1]}, k=5 ${accuracy[5]}`,
    `tensors left: ${result.numTensorsLeft}`,
  ].join('\n');
  document.getElementById('result').textContent = JSON.stringify(result);
  document.title = 'done';
}

main().catch((err) => {
  document.getElementById('status').textContent = `failed: ${err?.stack ?? err}`;
  document.getElementById('result').textContent = JSON.stringify({ error: String(err?.stack ?? err) });
  document.title = 'failed';
});
