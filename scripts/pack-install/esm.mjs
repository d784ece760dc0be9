import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import * as evaluation from '@xclr/eval';
import * as losses from '@xclr/losses';
import * as models from '@xclr/models';
import * as checkpoint from '@xclr/models/checkpoint';
import { fit } from '@xclr/training';
import { trainFewSteps } from './steps.cjs';

if (typeof fit !== 'function') throw new Error('@xclr/training: no fit()');
console.log(await trainFewSteps({ tf, losses, models, checkpoint, evaluation }, 'ESM'));
