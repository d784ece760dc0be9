// The pure-JS cpu backend's convolution kernels at ResNet-18's 3 × 3 layer shapes, one image: the
// filter gradient this package registers against tfjs-backend-cpu's own, and how long a ResNet-18
// training step takes there.
//   npx tsx --conditions=@xclr/source bench/cpu-conv.ts
import * as tf from '@tensorflow/tfjs-core';
import { stockCpuFilterGradient } from '../src/cpu/conv2d-filter.js';
// tfjs-core registers no gradients in Node; tfjs-layers' bundle does.
import '@tensorflow/tfjs-layers';
import { setUpCpuTraining } from '../src/index.js';

setUpCpuTraining();
await tf.setBackend('cpu');
const ms = (f: () => tf.TensorContainer) => {
  const t0 = performance.now();
  tf.dispose(f());
  return performance.now() - t0;
};
let perImage = 0;
let perImageStock = 0;
// ResNet-18 (CIFAR stem): 16 of its 3 × 3 convolutions run at these sizes, 4 (+ the stem) per stage.
for (const [h, c] of [
  [32, 64],
  [16, 128],
  [8, 256],
  [4, 512],
]) {
  const x = tf.randomNormal([1, h, h, c]) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, c, c]) as tf.Tensor4D;
  const dy = tf.randomNormal([1, h, h, c]);
  const forward = ms(() => tf.conv2d(x, w, 1, 'same'));
  const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, c, c] };
  const filter = ms(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as tf.Tensor);
  const stock = ms(() =>
    tf
      .engine()
      .makeTensorFromTensorInfo(
        (stockCpuFilterGradient as tf.KernelFunc)({ inputs: { x, dy }, backend: tf.backend(), attrs }) as tf.TensorInfo,
      ),
  );
  const inputAttrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: [1, h, h, c] };
  const input = ms(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, inputAttrs) as tf.Tensor);
  console.log(
    `${h}² × ${c}: forward ${forward.toFixed(0)} ms, filter gradient ${filter.toFixed(0)} ms (tfjs-backend-cpu's: ${stock.toFixed(0)} ms), input gradient ${input.toFixed(0)} ms`,
  );
  perImageStock += 4 * (forward + stock + input);
  perImage += 4 * (forward + filter + input);
  tf.dispose([x, w, dy]);
}
const hours = (t: number) => ((t * 2 * 256) / 3.6e6).toFixed(1);
console.log(
  `16 convolutions, one image: ${(perImage / 1000).toFixed(1)} s (${(perImageStock / 1000).toFixed(1)} s with tfjs-backend-cpu's filter gradient); ` +
    `two views of 256 (cost linear in the batch): ≈ ${hours(perImage)} h per step (${hours(perImageStock)} h), before the stem, shortcuts, batch norms and the loss`,
);
