// Test setup shared by every package: the deterministic `cpu` backend with all gradients
// registered. tfjs-core's Node bundle registers no gradients by itself; importing
// @tensorflow/tfjs-layers does (its bundle carries tfjs-core's gradient registrations).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';

await tf.setBackend('cpu');
await tf.ready();
// Silences the "install tfjs-node" banner the cpu backend prints on its first write in Node.
tf.findBackend('cpu').firstUse = false;
