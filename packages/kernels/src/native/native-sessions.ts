import * as tf from '@tensorflow/tfjs-core';
import type { HeapBackend } from '../core/heap.js';
import type { TensorInfo } from '../core/kernel-call.js';
import { ScratchBuffers } from '../core/scratch.js';
import type { NativeRuntime, OrtTensor } from './onnxruntime.js';

/** A wasm tensor fed to onnxruntime, optionally under another shape of the same size. */
export type NativeInput = TensorInfo | { tensor: TensorInfo; shape: number[] };

export interface NativeLimits {
  /** Matmuls below this many multiply-adds stay on XNNPACK (copies and the call cost more). */
  matMulMinMacs: number;
  /** Convolution filter gradients below this many multiply-adds stay on XNNPACK. */
  filterGradientMinMacs: number;
  /** Convolutions with fewer input or output channels than this stay on XNNPACK. */
  convMinChannels: number;
  /** Convolutions below this many multiply-adds stay on XNNPACK. */
  convMinMacs: number;
  /**
   * Largest output (bytes) of one onnxruntime run: a bigger 2-D product runs as blocks of A's rows.
   * A run whose output reached glibc's mmap threshold (32 MB under the training malloc settings,
   * its maximum) got fresh pages every time and ran an order of magnitude slower.
   */
  outputBlockBytes: number;
  /**
   * Convolutions whose output has at most this many pixels per image (deep layers: small maps,
   * many channels) run as im2col and one Gemm over the whole batch, where onnxruntime's Conv runs
   * one small product per image.
   */
  im2colMaxPixels: number;
  /** The same for filter gradients: outputs of at most this many pixels per image. */
  filterGradientIm2colMaxPixels: number;
  /**
   * Convolutions whose input has a multiple of 4 channels, at least one block of them, on MLAS's
   * blocked-channel (NCHWc) kernels instead of onnxruntime's generic Conv (false: generic Conv).
   */
  nchwcConv: boolean;
  /**
   * Stride-1 input gradients of at most this many pixels per image run as the forward route of
   * small maps (im2colMaxPixels), larger ones on the NCHWc kernels: at 8 × 8 those were faster for
   * input gradients, level for filter gradients.
   */
  inputGradientIm2colMaxPixels: number;
  /**
   * Filter gradients of layers whose batch and output channels are whole NCHWc blocks as one
   * convolution on those kernels (the batch as its reduction) instead of a Gemm per filter tap or
   * im2col and one Gemm. Small maps keep im2col (filterGradientIm2colMaxPixels).
   */
  nchwcFilterGradient: boolean;
  /**
   * Stride-1 filter gradients whose input and output channels are all within
   * [tapBlocksMinChannels, tapBlocksMaxChannels] (on maps larger than filterGradientIm2colMaxPixels)
   * as the tap windows in blocks of images, every tap of a block in one run while the block is in
   * cache, instead of the NCHWc route: on ResNet-18's 64- and 128-channel layers that route, like
   * a pass over the whole batch per tap, reads memory faster than MLAS computes; with 32 channels
   * (the ConvNet's second layer) and 256 the NCHWc route was as fast or faster.
   */
  tapBlocksMinChannels: number;
  /** See tapBlocksMinChannels. */
  tapBlocksMaxChannels: number;
  /** Bytes of grid (X and dY) per block of images on that route: the block stays in the last-level cache across its taps. */
  tapBlockBytes: number;
  /**
   * That route only where the whole batch's grid is larger than this (the measured machine's
   * last-level cache): a batch that fits was as fast or faster on NCHWc (measured:
   * packages/kernels/README.md, native section).
   */
  tapBlocksMinBatchBytes: number;
  /**
   * Strided filter gradients that the NCHWc route does not take run as im2col and one Gemm up to
   * patches of this many bytes (the tap windows need stride 1; the Conv2D composition they took
   * before was slower on ResNet-18's strided layers).
   */
  stridedIm2colMaxBytes: number;
  /**
   * Strided input gradients as onnxruntime's ConvTranspose (one Gemm per image and a col2im)
   * instead of one stride-1 convolution per phase of the stride, interleaved on the heap.
   */
  stridedInputGradient: boolean;
}

/**
 * Crossovers of the kernels bench (bench/kernels.bench.ts, with the training malloc settings):
 * below them XNNPACK was as fast or faster, or the two traded places between runs. Each native
 * call has a fixed cost, so small products gain little and XNNPACK's times are steadier there;
 * filter gradients gain from the same size on. Convolutions gain only with many channels and
 * many multiply-adds; the ConvNet's 32 → 64-channel layer gained more inside a training step
 * than in the bench, hence 32 channels rather than 64.
 * Measured: packages/kernels/README.md (native section) and bench/results/kernels.json.
 */
export const DEFAULT_NATIVE_LIMITS: NativeLimits = {
  matMulMinMacs: 1 << 22,
  filterGradientMinMacs: 1 << 22,
  convMinChannels: 32,
  convMinMacs: 1 << 27,
  outputBlockBytes: 16 * 2 ** 20,
  im2colMaxPixels: 16,
  filterGradientIm2colMaxPixels: 64,
  nchwcConv: true,
  inputGradientIm2colMaxPixels: 16,
  nchwcFilterGradient: true,
  tapBlocksMinChannels: 64,
  tapBlocksMaxChannels: 128,
  tapBlockBytes: 8 * 2 ** 20,
  tapBlocksMinBatchBytes: 32 * 2 ** 20,
  stridedIm2colMaxBytes: 64 * 2 ** 20,
  stridedInputGradient: true,
};

/**
 * Runs small ONNX graphs on onnxruntime for the wasm backend's kernels: one session per graph key
 * (graphs have symbolic dimensions, so one serves every shape). Inputs are copied off the wasm
 * heap (a SharedArrayBuffer, which the binding does not accept) into reused buffers; the single
 * output `y` is written into a reused buffer and copied into a new wasm tensor.
 */
export class NativeSessions {
  private readonly sessions = new Map<string, ReturnType<NativeRuntime['session']>>();
  private readonly scratch = new ScratchBuffers();
  readonly limits: NativeLimits;
  /** Graph runs so far (tests check that a kernel took this route). */
  runs = 0;
  /** Runs per graph key (`nchwc conv2d …`, `conv2d …`, …): which route a kernel took. */
  readonly runsByGraph = new Map<string, number>();

  constructor(
    readonly runtime: NativeRuntime,
    limits: Partial<NativeLimits> = {},
  ) {
    this.limits = { ...DEFAULT_NATIVE_LIMITS, ...limits };
  }

  /** A reused buffer for input `name`: kernels that build operands off the heap write them here (see `runInto`). */
  buffer(name: string, length: number): Float32Array {
    return this.scratch.view(name, length);
  }

  private session(key: string, build: () => Uint8Array) {
    let session = this.sessions.get(key);
    if (!session) {
      session = this.runtime.session(build());
      this.sessions.set(key, session);
    }
    return session;
  }

  private runSession(key: string, build: () => Uint8Array, feeds: Record<string, OrtTensor>, y: OrtTensor): void {
    try {
      this.session(key, build).run(feeds, { y }, {});
    } catch (err) {
      const shapes = Object.entries(feeds).map(([name, t]) => `${name} [${t.dims}]`);
      throw new Error(
        `@xclr/kernels: onnxruntime failed on ${key} with ${shapes.join(', ')} → y [${y.dims}]: ${(err as Error).message}. ` +
          'useFastestBackend({ native: false }) keeps these kernels on XNNPACK.',
      );
    }
    this.runs++;
    this.runsByGraph.set(key, (this.runsByGraph.get(key) ?? 0) + 1);
  }

  /** `t`'s values copied off the heap into the reused buffer `name` (the binding rejects a shared heap). */
  offHeap(name: string, backend: HeapBackend, t: TensorInfo): Float32Array {
    const view = this.buffer(name, tf.util.sizeFromShape(t.shape));
    view.set(backend.typedArrayFromHeap(t) as Float32Array);
    return view;
  }

  /** `values` copied into a new wasm tensor of `shape`. */
  onHeap(backend: HeapBackend, values: Float32Array, shape: number[]): TensorInfo {
    const out = backend.makeOutput(shape, 'float32');
    (backend.typedArrayFromHeap(out) as Float32Array).set(values);
    return out;
  }

  /** `inputs` copied off the heap into the reused buffers of their names, each under its own shape or the one given. */
  private offHeapInputs(
    backend: HeapBackend,
    inputs: Record<string, NativeInput>,
  ): Record<string, { data: Float32Array; shape: number[] }> {
    const values: Record<string, { data: Float32Array; shape: number[] }> = {};
    for (const [name, input] of Object.entries(inputs)) {
      const t = 'tensor' in input ? input.tensor : input;
      values[name] = { data: this.offHeap(name, backend, t), shape: 'tensor' in input ? input.shape : t.shape };
    }
    return values;
  }

  /** Runs graph `key` (built by `build` on first use) on `inputs`; its output `y` in a new wasm tensor. */
  run(
    key: string,
    build: () => Uint8Array,
    backend: HeapBackend,
    inputs: Record<string, NativeInput>,
    outShape: number[],
    ortOutShape = outShape,
  ): TensorInfo {
    const y = this.buffer('y', tf.util.sizeFromShape(outShape));
    this.runInto(key, build, this.offHeapInputs(backend, inputs), { data: y, shape: ortOutShape });
    return this.onHeap(backend, y, outShape);
  }

  /** Runs graph `key` on values already off the heap, writing its output `y` into `y.data`. */
  runInto(
    key: string,
    build: () => Uint8Array,
    inputs: Record<string, { data: Float32Array; shape: number[] }>,
    y: { data: Float32Array; shape: number[] },
  ): void {
    const feeds: Record<string, OrtTensor> = {};
    for (const [name, input] of Object.entries(inputs)) feeds[name] = new this.runtime.Tensor('float32', input.data, input.shape);
    this.runSession(key, build, feeds, new this.runtime.Tensor('float32', y.data, y.shape));
  }

  /**
   * `runInto` in blocks of whole images where the output would reach `outputBlockBytes`: the
   * binding copies every output into a new ArrayBuffer, and one at glibc's mmap threshold got
   * fresh pages, a page fault per 4 KiB, on every call. `batched` names the inputs whose first axis
   * is the batch, as it is the output's; the other inputs go whole to every block.
   */
  runIntoByImages(
    key: string,
    build: () => Uint8Array,
    inputs: Record<string, { data: Float32Array; shape: number[] }>,
    batched: string[],
    y: { data: Float32Array; shape: number[] },
  ): void {
    const n = y.shape[0];
    const perImage = y.data.length / n;
    const images = Math.max(1, Math.floor(this.limits.outputBlockBytes / (4 * perImage)));
    if (images >= n) {
      this.runInto(key, build, inputs, y);
      return;
    }
    const rows = (t: { data: Float32Array; shape: number[] }, start: number, count: number) => {
      const size = t.data.length / t.shape[0];
      return { data: t.data.subarray(start * size, (start + count) * size), shape: [count, ...t.shape.slice(1)] };
    };
    for (let start = 0; start < n; start += images) {
      const count = Math.min(images, n - start);
      const block = { ...inputs };
      for (const name of batched) block[name] = rows(inputs[name], start, count);
      this.runInto(key, build, block, rows(y, start, count));
    }
  }

  /** `run` with `runIntoByImages`'s blocks: `batched` inputs share the output's first axis. */
  runByImages(
    key: string,
    build: () => Uint8Array,
    backend: HeapBackend,
    inputs: Record<string, TensorInfo>,
    batched: string[],
    outShape: number[],
  ): TensorInfo {
    const y = { data: this.buffer('y', tf.util.sizeFromShape(outShape)), shape: outShape };
    this.runIntoByImages(key, build, this.offHeapInputs(backend, inputs), batched, y);
    return this.onHeap(backend, y.data, outShape);
  }

  dispose(): void {
    for (const s of this.sessions.values()) s.dispose();
    this.sessions.clear();
    this.scratch.clear();
  }
}
