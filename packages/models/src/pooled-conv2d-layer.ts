import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { type Conv2DArgs, type Conv2DState, conv2dClass } from './conv2d-layer.js';
import { reluGradient } from './fused-conv2d-gradient.js';
import { maxPoolAfterRelu } from './max-pooling2d-layer.js';
import { isReluOutput } from './relu-masked-gradients.js';

/**
 * Kernels `@xclr/kernels` registers on the wasm backend (same names there): a convolution with
 * few input channels, its bias, ReLU and 2 × 2 max pool in one pass, and its filter gradient from
 * the pooled gradient. Used where the active backend has them; composed from tfjs ops elsewhere.
 */
export const POOLED_CONV2D_KERNEL = 'XclrPooledConv2D';
export const POOLED_CONV2D_BACKPROP_FILTER_KERNEL = 'XclrPooledConv2DBackpropFilter';

/** Input channels up to which those kernels take a convolution (`@xclr/kernels`' limit: memory-bound first layers). */
export const POOLED_CONV2D_KERNEL_MAX_CHANNELS = 4;

/**
 * The window positions (0 … 3) that XclrPooledConv2D packs four channels to an int32 (Σᵢ pᵢ · 4ⁱ,
 * at most 255: exact in the float arithmetic some backends use for int32 ops), unpacked: int32
 * [n, hp, wp, o].
 */
function unpackPositions(packed: tf.Tensor): tf.Tensor {
  const four = tf.scalar(4, 'int32');
  const places = [0, 1, 2, 3].map((k) => tf.mod(tf.floorDiv(packed, tf.scalar(4 ** k, 'int32')), four));
  const [n, hp, wp, quarter] = packed.shape;
  return tf.reshape(tf.stack(places, 4), [n, hp, wp, quarter * 4]);
}

/**
 * The input gradient: the pooled gradient (ReLU's mask applied) put back at each window's
 * maximum, then the convolution's input gradient. Only a layer with a trainable layer before it
 * needs this (not a first layer), so it is composed from tfjs ops.
 */
function inputGradient(dy: tf.Tensor, x: tf.Tensor, filter: tf.Tensor, y: tf.Tensor, argmax: tf.Tensor): tf.Tensor {
  const [n, hp, wp, o] = y.shape;
  const masked = reluGradient(dy, y);
  const positions = unpackPositions(argmax);
  const parts = [0, 1, 2, 3].map((p) => tf.mul(masked, tf.cast(tf.equal(positions, p), 'float32')));
  // position p = 2a + b of window (i, j) is output (2i + a, 2j + b)
  const windows = tf.transpose(tf.reshape(tf.stack(parts, 3), [n, hp, wp, 2, 2, o]), [0, 1, 3, 2, 4, 5]);
  const [fh, fw] = filter.shape;
  const [ho, wo] = [x.shape[1]! - fh + 1, x.shape[2]! - fw + 1];
  const full = tf.pad(tf.reshape(windows, [n, 2 * hp, 2 * wp, o]), [
    [0, 0],
    [0, ho - 2 * hp],
    [0, wo - 2 * wp],
    [0, 0],
  ]);
  const conv = tf.getGradient('Conv2D')?.gradFunc(full, [x, filter], {
    strides: 1,
    pad: 'valid',
    dataFormat: 'NHWC',
    dilations: 1,
  }) as Record<string, () => tf.Tensor>;
  return conv.x();
}

/**
 * Registers the gradient of XclrPooledConv2D unless one is registered: the filter's from the
 * pooled gradient (XclrPooledConv2DBackpropFilter), the bias's as the sum of the masked pooled
 * gradient, the input's only when asked for.
 */
function registerPooledConv2DGradient(): void {
  if (tf.getGradient(POOLED_CONV2D_KERNEL) != null) return;
  tf.registerGradient({
    kernelName: POOLED_CONV2D_KERNEL,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true, true],
    gradFunc: (dys, saved) => {
      const dy = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor;
      const [x, filter, y, argmax] = saved;
      return {
        x: () => inputGradient(dy, x, filter, y, argmax),
        filter: () =>
          tf.engine().runKernel(POOLED_CONV2D_BACKPROP_FILTER_KERNEL, { x, dy, y, argmax }, {
            filterShape: filter.shape,
          } as unknown as tf.NamedAttrMap) as tf.Tensor,
        bias: () => tf.sum(reluGradient(dy, y), [0, 1, 2]),
      };
    },
  });
}

/** ⌊size / 2⌋ for a known size. */
const pooled = (size: number | null) => (size == null ? null : Math.floor(size / 2));

let pooledClass: (new (args: Conv2DArgs) => tfl.layers.Layer) | undefined;

function pooledConv2dClass() {
  if (pooledClass != null) return pooledClass;
  const Base = conv2dClass();
  const base = Base.prototype as unknown as {
    computeOutputShape(shape: tfl.Shape | tfl.Shape[]): tfl.Shape;
    call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor;
  };
  class PooledConv2D extends Base {
    static className = 'XclrPooledConv2D';

    override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
      const [n, h, w, c] = base.computeOutputShape.call(this, inputShape);
      return [n, pooled(h), pooled(w), c];
    }

    /** Whether the fused kernels take this call: a first layer's shape, valid padding, stride 1, a bias and a ReLU. */
    private onKernel(x: tf.Tensor): boolean {
      const state = this as unknown as Conv2DState;
      if (tf.getKernel(POOLED_CONV2D_KERNEL, tf.getBackend()) == null) return false;
      const [fh, fw, c, o] = state.kernel.shape as number[];
      return (
        state.dataFormat === 'channelsLast' &&
        state.padding === 'valid' &&
        state.strides.every((s) => s === 1) &&
        state.dilationRate.every((d) => d === 1) &&
        state.activation.getClassName() === 'relu' &&
        state.bias != null &&
        x.rank === 4 &&
        x.dtype === 'float32' &&
        c <= POOLED_CONV2D_KERNEL_MAX_CHANNELS &&
        o % 8 === 0 &&
        x.shape[1]! - fh >= 1 &&
        x.shape[2]! - fw >= 1
      );
    }

    override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const state = this as unknown as Conv2DState;
      if (this.onKernel(x)) {
        registerPooledConv2DGradient();
        const kernelInputs = { x, filter: state.kernel.read(), bias: state.bias!.read() };
        const [y, argmax] = tf.engine().runKernel(POOLED_CONV2D_KERNEL, kernelInputs, {}) as tf.Tensor[];
        // The gradient keeps its own reference to the positions.
        argmax.dispose();
        return y;
      }
      const y = base.call.call(this, inputs, kwargs) as tf.Tensor4D;
      return isReluOutput(y) ? maxPoolAfterRelu(y, [2, 2], [2, 2], 'valid') : tf.maxPool(y, 2, 2, 'valid');
    }
  }
  tf.serialization.registerClass(
    PooledConv2D as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>,
  );
  pooledClass = PooledConv2D;
  return pooledClass;
}

/**
 * A 2-D convolution (tfjs-layers' `conv2d` arguments and weights, run as this package's
 * `conv2d`) followed by 2 × 2 max pooling with stride 2 and no padding, as one layer. Where the
 * backend has `@xclr/kernels`' XclrPooledConv2D (wasm) and the layer fits it (at most 4 input
 * channels, as a first layer has; filters a multiple of 8; valid padding, stride 1, a bias and a
 * ReLU), both run in one pass that never writes the convolution's full-size output, and the
 * filter gradient comes from the pooled gradient. Elsewhere it is `conv2d` then `maxPooling2d`.
 * Its weights are the convolution's, in the same order (checkpoints of the two layers load).
 */
export function pooledConv2d(args: Conv2DArgs): tfl.layers.Layer {
  return new (pooledConv2dClass())(args);
}
