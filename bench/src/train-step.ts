// The training-step benchmark: full X-CLR (or NT-Xent, SupCon, CLIP) steps, two views and Adam, on
// fixed models and a fixed synthetic input, so that numbers compare across machines and with
// bench/torch_train_step.py. Command line: bench/src/train-step-cli.ts (`npm run bench:step`);
// against PyTorch, interleaved: bench/train-step.mjs (`npm run bench:train-step`).
import * as tf from '@tensorflow/tfjs-core';
import { type BackendRequest, useFastestBackend } from '@xclr/backend';
import { fusedAdam } from '@xclr/kernels';
import { clipLoss, ntXentLoss, supConLoss, xclrLoss } from '@xclr/losses';
import { ContrastiveModel, chunkedEmbeddingStepTensors, type EncoderConfig, readStep, trainStepTensors } from '@xclr/models';

export type BenchModel = 'mlp' | 'convnet' | 'resnet18';
export type BenchLoss = 'xclr' | 'ntxent' | 'supcon' | 'clip';

/** The fixed bench models, so numbers compare across machines and with the PyTorch script. */
export const BENCH_MODELS: Record<BenchModel, EncoderConfig> = {
  mlp: { type: 'mlp', inputShape: [28, 28, 1], hidden: [512, 512], output: 128 },
  convnet: { type: 'convnet', inputShape: [28, 28, 1], filters: [32, 64], output: 128 },
  resnet18: { type: 'resnet18', inputShape: [32, 32, 3] },
};

export interface BenchResult {
  backend: string;
  threads: number;
  /** The native engine behind wasm's large matmuls and convolutions, or null (XNNPACK). */
  native: string | null;
  /** On webgpu: the adapter (vendor, device or description, software or hardware). */
  adapter?: string;
  model: BenchModel;
  loss: BenchLoss;
  batch: number;
  stepsPerSecond: number;
  samplesPerSecond: number;
  medianStepMs: number;
  /** Both views went through the encoder as one batch (ContrastiveModel.projectViews). */
  viewsInOnePass: boolean;
  /**
   * Minor page faults per timed step (Linux): memory handed back to the system and touched
   * again. Each costs microseconds; see `@xclr/backend`'s TRAINING_MALLOC_TUNABLES.
   */
  pageFaultsPerStep: number;
  /**
   * On wasm, the WebAssembly heap's size after the steps: its peak, since a wasm heap never
   * shrinks (tensors live there; a wasm32 heap holds at most 4 GiB). Null on other backends.
   */
  wasmHeapBytes: number | null;
  /** With `profile`: one more step's time per kernel, largest first. */
  kernels?: KernelTime[];
}

export interface KernelTime {
  kernel: string;
  calls: number;
  ms: number;
}

/** Runs `step` once under tf.profile and sums the time of each kernel (as the backend times it). */
async function profileKernels(step: () => Promise<unknown>): Promise<KernelTime[]> {
  const info = await tf.profile(async () => {
    await step();
    return [];
  });
  const byName = new Map<string, KernelTime>();
  for (const k of info.kernels) {
    // tf.customGrad scopes (`unnamed scope`, `fusedMatMul__op`) are listed beside the kernels
    // they ran: counting them too would count those kernels twice.
    if (k.name === 'unnamed scope' || k.name.endsWith('__op')) continue;
    const t = byName.get(k.name) ?? { kernel: k.name, calls: 0, ms: 0 };
    t.calls += 1;
    t.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    byName.set(k.name, t);
  }
  return [...byName.values()].sort((a, b) => b.ms - a.ms);
}

/** How a bench process runs: timed steps after a warm-up, on which backend, optionally profiled. */
export interface BenchRunOptions {
  steps: number;
  warmup: number;
  backend: BackendRequest;
  threads?: number;
  /** false: keep wasm's matmuls and convolutions on XNNPACK (no onnxruntime). */
  native?: boolean;
  profile?: boolean;
}

/**
 * Times full training steps (two views, Adam) on a fixed synthetic input after a warm-up. ResNet-18
 * gets a 128-d linear head; the others end in their 128-d layer.
 */
export async function benchTrainStep(
  options: BenchRunOptions & {
    model: BenchModel;
    loss: BenchLoss;
    batch: number;
    /** Run the encoder on this many images at a time (chunkedEmbeddingStep); default: the whole batch. */
    chunk?: number;
    /** Input of the model instead of its bench shape (e.g. `[64, 64, 3]`). */
    inputShape?: [number, number, number];
  },
): Promise<BenchResult> {
  const choice = await useFastestBackend({ backend: options.backend, threads: options.threads, native: options.native });
  const encoder = { ...BENCH_MODELS[options.model], ...(options.inputShape ? { inputShape: options.inputShape } : {}) };
  const model = new ContrastiveModel({ encoder, head: null }, 0);
  // ResNet-18's 512-d features get the fixed 128-d linear head.
  const head = options.model === 'resnet18' ? tf.variable(tf.randomNormal([512, 128], 0, 0.04, 'float32', 1)) : null;
  const variables = [...model.trainableWeights, ...(head ? [head] : [])];
  const [h, w, c] = encoder.inputShape;
  const n = options.batch;
  const viewA = tf.randomUniform([n, h, w, c], 0, 1, 'float32', 1) as tf.Tensor4D;
  const viewB = tf.randomUniform([n, h, w, c], 0, 1, 'float32', 2) as tf.Tensor4D;
  const labels = tf.tensor1d(
    Array.from({ length: n }, (_, i) => i % 10),
    'int32',
  );
  const similarity = tf.tidy(() =>
    tf.cast(tf.equal(tf.expandDims(labels, 1), tf.expandDims(labels, 0)), 'float32'),
  ) as tf.Tensor2D;
  const optimizer = fusedAdam(1e-3);
  const embed = (x: tf.Tensor4D) => {
    const f = model.project(x);
    return head ? (tf.matMul(f, head) as tf.Tensor2D) : f;
  };
  // Both views in one pass where the encoder allows it (ContrastiveModel.projectViews).
  const embedViews = (): [tf.Tensor2D, tf.Tensor2D] => {
    const [fA, fB] = model.projectViews(viewA, viewB);
    return head ? [tf.matMul(fA, head) as tf.Tensor2D, tf.matMul(fB, head) as tf.Tensor2D] : [fA, fB];
  };
  const lossOf = (zA: tf.Tensor2D, zB: tf.Tensor2D): tf.Scalar => {
    switch (options.loss) {
      case 'xclr':
        return xclrLoss(zA, zB, similarity);
      case 'ntxent':
        return ntXentLoss(zA, zB);
      case 'supcon':
        return supConLoss(zA, zB, labels);
      case 'clip':
        return clipLoss(zA, zB);
    }
  };
  // Each step is read back before the next (the loss and gradient norm, one asynchronous read), so a
  // GPU backend's time includes finishing the step's work, as torch.cuda.synchronize() would.
  const launch = () =>
    options.chunk
      ? chunkedEmbeddingStepTensors(
          (x) => embed(x as tf.Tensor4D),
          [viewA, viewB],
          ([zA, zB]) => lossOf(zA, zB),
          {
            optimizer,
            variables,
            chunkSize: options.chunk,
          },
        )
      : trainStepTensors(() => lossOf(...embedViews()), { optimizer, variables });
  const step = () => readStep(launch());
  for (let i = 0; i < options.warmup; i++) await step();
  const times: number[] = [];
  const faultsBefore = process.resourceUsage().minorPageFault;
  for (let i = 0; i < options.steps; i++) {
    const t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
  }
  const pageFaultsPerStep = (process.resourceUsage().minorPageFault - faultsBefore) / options.steps;
  const wasmHeapBytes = (tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm?.HEAPU8.length ?? null;
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const kernels = options.profile ? await profileKernels(step) : undefined;
  tf.dispose([viewA, viewB, labels, similarity, ...(head ? [head] : [])]);
  model.dispose();
  return {
    backend: choice.backend,
    threads: choice.threads,
    native: choice.native,
    ...(choice.backend === 'webgpu' && choice.adapter
      ? {
          adapter: `${`${choice.adapter.vendor} ${choice.adapter.device || choice.adapter.description}`.trim()} (${choice.adapter.software ? 'software' : 'hardware'})`,
        }
      : {}),
    model: options.model,
    loss: options.loss,
    batch: n,
    stepsPerSecond: 1000 / median,
    samplesPerSecond: (1000 * n) / median,
    medianStepMs: median,
    viewsInOnePass: !options.chunk && model.viewsInOnePass,
    pageFaultsPerStep,
    wasmHeapBytes,
    ...(kernels ? { kernels } : {}),
  };
}

export interface LossBenchResult {
  mode: 'loss';
  loss: 'xclr';
  backend: string;
  threads: number;
  native: string | null;
  n: number;
  d: number;
  medianStepMs: number;
  /** The loss value on the fixed inputs: bench/torch_train_step.py --loss-only prints the same. */
  lossValue: number;
  pageFaultsPerStep: number;
  /** With `profile`: one more forward + backward's time per kernel, largest first. */
  kernels?: KernelTime[];
}

/**
 * Deterministic `[n, d]` embeddings and an `[n, n]` cosine-similarity target, from float64 formulas
 * cast to float32: bench/torch_train_step.py's loss_inputs builds the same.
 */
export function lossInputs(n: number, d: number, simDim = 64): { zA: Float32Array; zB: Float32Array; similarity: Float32Array } {
  const zA = new Float32Array(n * d);
  const zB = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      zA[i * d + j] = Math.sin(0.7 * i + 0.13 * j + 1.0);
      zB[i * d + j] = Math.cos(0.3 * i - 0.11 * j);
    }
  }
  const c = new Float64Array(n * simDim);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let k = 0; k < simDim; k++) {
      const v = Math.sin(0.05 * i * (k + 1) + k);
      c[i * simDim + k] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    for (let k = 0; k < simDim; k++) c[i * simDim + k] /= norm;
  }
  const similarity = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let k = 0; k < simDim; k++) dot += c[i * simDim + k] * c[j * simDim + k];
      similarity[i * n + j] = dot;
    }
  }
  return { zA, zB, similarity };
}

/**
 * The X-CLR loss alone, forward + backward (`xclrLoss` from @xclr/losses, gradients of both
 * views), on `lossInputs`: the median time of `steps` after `warmup`.
 */
export async function benchLoss(options: BenchRunOptions & { n: number; d: number }): Promise<LossBenchResult> {
  const choice = await useFastestBackend({ backend: options.backend, threads: options.threads, native: options.native });
  const { n, d } = options;
  const inputs = lossInputs(n, d);
  const zA = tf.tensor2d(inputs.zA, [n, d]);
  const zB = tf.tensor2d(inputs.zB, [n, d]);
  const similarity = tf.tensor2d(inputs.similarity, [n, n]);
  const lossAndGrads = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) => xclrLoss(a as tf.Tensor2D, b as tf.Tensor2D, similarity));
  const once = async (): Promise<number> => {
    const { value, grads } = lossAndGrads([zA, zB]);
    const [v] = await value.data();
    await Promise.all(grads.map((g) => g.data()));
    tf.dispose([value, ...grads]);
    return v;
  };
  let lossValue = Number.NaN;
  for (let i = 0; i < options.warmup; i++) lossValue = await once();
  const times: number[] = [];
  const faultsBefore = process.resourceUsage().minorPageFault;
  for (let i = 0; i < options.steps; i++) {
    const t0 = performance.now();
    lossValue = await once();
    times.push(performance.now() - t0);
  }
  const pageFaultsPerStep = (process.resourceUsage().minorPageFault - faultsBefore) / options.steps;
  const kernels = options.profile ? await profileKernels(once) : undefined;
  tf.dispose([zA, zB, similarity]);
  times.sort((a, b) => a - b);
  return {
    mode: 'loss',
    loss: 'xclr',
    backend: choice.backend,
    threads: choice.threads,
    native: choice.native,
    n,
    d,
    medianStepMs: times[Math.floor(times.length / 2)],
    lossValue,
    pageFaultsPerStep,
    ...(kernels ? { kernels } : {}),
  };
}

/** The lines printed for a result without --json: one summary line, then the kernel table with --profile. */
export function formatBenchResult(r: BenchResult, topKernels = 15): string[] {
  const lines = [
    `${r.model} ${r.loss} batch ${r.batch} on ${r.backend} (${r.threads} threads): ${r.stepsPerSecond.toFixed(2)} steps/s, ${r.samplesPerSecond.toFixed(0)} samples/s`,
  ];
  if (r.kernels) {
    const total = r.kernels.reduce((a, k) => a + k.ms, 0);
    lines.push(`one profiled step: ${total.toFixed(1)} ms in kernels`);
    lines.push(`${'kernel'.padEnd(28)}${'calls'.padStart(7)}${'ms'.padStart(10)}${'share'.padStart(8)}`);
    for (const k of r.kernels.slice(0, topKernels)) {
      lines.push(
        `${k.kernel.padEnd(28)}${String(k.calls).padStart(7)}${k.ms.toFixed(1).padStart(10)}${`${((100 * k.ms) / total).toFixed(1)}%`.padStart(8)}`,
      );
    }
  }
  return lines;
}
