import * as tf from '@tensorflow/tfjs-core';

/** The wasm backend as the kernels below use it: only the public KernelBackend surface. */
export type WasmBackend = tf.KernelBackend;
export type TensorInfo = tf.TensorInfo;
export type Attrs = tf.NamedAttrMap;

/**
 * Calls kernels of the wasm backend directly (below the engine: no tape, no tidy), keeping the
 * intermediate results it made so `release()` frees exactly those. `self` names the kernel this
 * call implements: calls to that name go to the stock kernel it replaced (`original`), so a
 * replacement can fall back on the one it wraps; every other name goes to the kernel registered
 * now, so compositions use this package's faster Transpose, Slice, Concat and Reverse.
 */
export class KernelCall {
  private readonly made: TensorInfo[] = [];

  constructor(
    readonly backend: WasmBackend,
    private readonly original: ReadonlyMap<string, tf.KernelFunc>,
    private readonly self: string,
  ) {}

  /** Runs kernel `name`; the result is released later. */
  run(name: string, inputs: Record<string, TensorInfo>, attrs: Attrs = {}): TensorInfo {
    const out = this.final(name, inputs, attrs);
    // Multi-output kernels (MaxPoolWithArgmax) return an array: release each output.
    this.made.push(...(Array.isArray(out) ? out : [out]));
    return out;
  }

  /** Runs kernel `name` for the caller's output: not released with the intermediates. */
  final(name: string, inputs: Record<string, TensorInfo>, attrs: Attrs = {}): TensorInfo {
    const fn = (name === this.self ? this.original.get(name) : undefined) ?? tf.getKernel(name, 'wasm')?.kernelFunc;
    if (fn == null) throw new Error(`@xclr/kernels: wasm kernel ${name} is not registered`);
    return fn({ inputs, backend: this.backend, attrs }) as TensorInfo;
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    return this.run('Slice', { x }, { begin, size });
  }

  /** NHWC `x` with zero rows and columns added at the bottom and right up to `height` × `width`. */
  padBottomRight(x: TensorInfo, height: number, width: number): TensorInfo {
    const [, h, w] = x.shape;
    if (h === height && w === width) return x;
    const paddings = [
      [0, 0],
      [0, height - h],
      [0, width - w],
      [0, 0],
    ];
    return this.run('PadV2', { x }, { paddings, constantValue: 0 } as never);
  }

  /** Releases `t` (made outside `run`, e.g. by a kernel written in JavaScript) with the others. */
  track(t: TensorInfo): TensorInfo {
    this.made.push(t);
    return t;
  }

  /** Frees every intermediate made through `run` or `track`. */
  release(): void {
    for (const t of this.made) this.backend.disposeData(t.dataId);
    this.made.length = 0;
  }
}

/** Reshape for the caller's output: the wasm Reshape kernel shares the data, so this is free. */
export function reshapeOutput(call: KernelCall, x: TensorInfo, shape: number[]): TensorInfo {
  const out = call.final('Reshape', { x }, { shape });
  call.backend.disposeData(x.dataId);
  return out;
}
