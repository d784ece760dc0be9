import * as tf from '@tensorflow/tfjs-core';

// tfjs-backend-cpu's Conv2DBackpropFilter walks the filter in its outer loops and the batch and
// output positions inside, re-reading both operands for every weight: many times slower than the
// forward pass (packages/kernels/README.md; bench/cpu-conv.ts). Here the loops run the other
// way round: for each output position and filter tap, each input value updates one contiguous row
// of dW (a rank-1 update over the output channels), and zero inputs (half of a ReLU network's)
// are skipped. Registered on the cpu backend by `useFastestBackend`; NCHW and non-float32 inputs
// go to the stock kernel.

interface CpuBackend {
  data: { get(dataId: object): { values: tf.backend_util.BackendValues } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

type FilterAttrs = {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
};

/** dW for NHWC float32 input; null where the stock kernel should run. */
export function conv2dFilterGradientCpu(
  backend: CpuBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  attrs: FilterAttrs,
): tf.TensorInfo | null {
  if (attrs.dataFormat !== 'NHWC' || x.dtype !== 'float32' || dy.dtype !== 'float32') return null;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo, outChannels: o } = info;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const xv = backend.data.get(x.dataId).values as Float32Array;
  const gv = backend.data.get(dy.dataId).values as Float32Array;
  // Sums run over every position of the batch: accumulated in float64, as the stock kernel does,
  // so long sums keep float32 precision at the end.
  const dw = new Float64Array(fh * fw * c * o);
  for (let b = 0; b < n; b++) {
    for (let yo = 0; yo < ho; yo++) {
      for (let xo = 0; xo < wo; xo++) {
        const g0 = ((b * ho + yo) * wo + xo) * o;
        for (let i = 0; i < fh; i++) {
          const yi = yo * sh + i - top;
          if (yi < 0 || yi >= h) continue;
          for (let j = 0; j < fw; j++) {
            const xi = xo * sw + j - left;
            if (xi < 0 || xi >= w) continue;
            const x0 = ((b * h + yi) * w + xi) * c;
            const w0 = (i * fw + j) * c * o;
            for (let k = 0; k < c; k++) {
              const v = xv[x0 + k];
              if (v === 0) continue;
              const row = w0 + k * o;
              for (let q = 0; q < o; q++) dw[row + q] += v * gv[g0 + q];
            }
          }
        }
      }
    }
  }
  return backend.makeTensorInfo(attrs.filterShape, 'float32', Float32Array.from(dw));
}

/** The stock kernel this replaced, once it is replaced (tests compare against it). */
export let stockCpuFilterGradient: tf.KernelFunc | null = null;

/** Replaces the cpu backend's Conv2DBackpropFilter (idempotent); returns the kernels replaced. */
export function patchCpuKernels(): string[] {
  if (stockCpuFilterGradient != null) return ['Conv2DBackpropFilter'];
  const stock = tf.getKernel('Conv2DBackpropFilter', 'cpu');
  if (stock == null) return [];
  tf.unregisterKernel('Conv2DBackpropFilter', 'cpu');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'cpu',
    setupFunc: stock.setupFunc,
    kernelFunc: (args) => {
      const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      return (
        conv2dFilterGradientCpu(args.backend as unknown as CpuBackend, x, dy, args.attrs as unknown as FilterAttrs) ??
        (stock.kernelFunc(args) as tf.TensorInfo)
      );
    },
  });
  stockCpuFilterGradient = stock.kernelFunc;
  return ['Conv2DBackpropFilter'];
}
