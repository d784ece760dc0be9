// require() of the ESM packages (Node >= 20.19), through each exports entry's `default` condition.
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
require('@tensorflow/tfjs-layers');
const losses = require('@xclr/losses');
const models = require('@xclr/models');
const checkpoint = require('@xclr/models/checkpoint');
const evaluation = require('@xclr/eval');
const { fit } = require('@xclr/training');
const { trainFewSteps } = require('./steps.cjs');

if (typeof fit !== 'function') throw new Error('@xclr/training: no fit()');
trainFewSteps({ tf, losses, models, checkpoint, evaluation }, 'CommonJS').then(console.log, (err) => {
  console.error(err);
  process.exitCode = 1;
});
