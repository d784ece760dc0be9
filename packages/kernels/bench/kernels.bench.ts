// The wasm backend's heavy training kernels, on XNNPACK and on onnxruntime's native kernels, in
// one process (alternating, medians): the crossovers behind DEFAULT_NATIVE_LIMITS and the gain on
// the shapes of the MLP, ConvNet and ResNet-18 steps. Also MaxPoolGrad's two paths, and the native
// engine's routes against the ones they replaced.
//   npm run bench -w @xclr/kernels            (writes bench/results/kernels.json)
import fs from 'node:fs';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers no gradients in Node; tfjs-layers' bundle does.
import '@tensorflow/tfjs-layers';
import { setUpWasmTraining } from '../src/index.js';
import { relaunchWithMallocTuning } from '@xclr/process';
import { type NativeLimits, NativeSessions, nativeEngine, setNativeEngine } from '../src/index.js';
import { heapMemory } from '../src/core/heap.js';
import { KernelCall } from '../src/core/kernel-call.js';
import type { ConvGeometry } from '../src/core/phase-grid.js';
import { inputGradientByPhases } from '../src/ops/conv2d-input-phases.js';
import { pointwiseInputGradient } from '../src/ops/conv2d-input-pointwise.js';
import { setSimdHelper, simdHelper } from '../src/simd/simd-helper.js';

// Timed as the xclr CLI runs: with glibc's malloc thresholds fixed (without them, page faults
// added 1–2 ms to native calls at random and moved the crossovers).
const child = relaunchWithMallocTuning();
if (child) process.exit(await child);

const REPS = Number(process.env.XCLR_BENCH_REPS ?? 9);
const choice = await setUpWasmTraining();
const engine = nativeEngine();
if (engine == null) throw new Error(`the native engine did not start: ${choice.notes.join('; ')}`);
// The same runtime without size thresholds: every kernel timed below takes the native route.
const unlimited = new NativeSessions(engine.runtime, {
  matMulMinMacs: 0,
  filterGradientMinMacs: 0,
  convMinChannels: 0,
  convMinMacs: 0,
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median ms of `run` on XNNPACK and natively, alternating so that drifts hit both. */
function timeBoth(run: () => tf.Tensor | tf.TensorInfo): { xnnpack: number; native: number } {
  const times = { xnnpack: [] as number[], native: [] as number[] };
  for (let r = -1; r < REPS; r++) {
    for (const mode of ['xnnpack', 'native'] as const) {
      setNativeEngine(mode === 'native' ? unlimited : null);
      const t0 = performance.now();
      const out = run();
      const ms = performance.now() - t0;
      tf.dispose(out as tf.Tensor);
      if (r >= 0) times[mode].push(ms);
    }
  }
  setNativeEngine(engine);
  return { xnnpack: median(times.xnnpack), native: median(times.native) };
}

interface Row {
  group: string;
  name: string;
  macs: number;
  xnnpackMs: number;
  nativeMs: number;
  speedup: number;
}
const rows: Row[] = [];
function record(group: string, name: string, macs: number, t: { xnnpack: number; native: number }) {
  const row = { group, name, macs, xnnpackMs: t.xnnpack, nativeMs: t.native, speedup: t.xnnpack / t.native };
  rows.push(row);
  console.log(
    `${group.padEnd(14)} ${name.padEnd(34)} ${(macs / 1e6).toFixed(2).padStart(9)} M  ${t.xnnpack.toFixed(3).padStart(8)}  ${t.native.toFixed(3).padStart(8)}  ${row.speedup.toFixed(2).padStart(6)}×`,
  );
}
console.log(
  `${'group'.padEnd(14)} ${'kernel'.padEnd(34)} ${'MACs'.padStart(11)}  ${'XNNPACK'.padStart(8)}  ${'native'.padStart(8)}  speedup   (ms: matmuls mean of 24 rounds, others median of ${REPS})`,
);

// 1–2. Matmuls: square products (the crossover) and the products of the training steps (batch
// 256 per view; one pass over both views, 512 rows; the X-CLR loss at N = 1024 sees 2048 rows).
// Round robin over all of them, 24 rounds: native time runs in ~2-3× slower stretches of a few
// hundred ms on this machine (see the README), and a case timed in one block lands in one stretch.
type Product = [group: string, name: string, a: number[], b: number[], transposeA: boolean, transposeB: boolean];
const products: Product[] = [
  ...[64, 128, 192, 256, 320, 384, 512].map((n): Product => ['matmul n³', `${n} × ${n} × ${n}`, [n, n], [n, n], false, false]),
  ['matmul step', 'MLP forward 512·784→512', [512, 784], [784, 512], false, false],
  ['matmul step', 'MLP dW = xᵀ·dY (784 × 512)', [512, 784], [512, 512], true, false],
  ['matmul step', 'MLP dX = dY·Wᵀ (512 → 512)', [512, 512], [512, 512], false, true],
  ['matmul step', 'MLP dW = xᵀ·dY (512 × 512)', [512, 512], [512, 512], true, false],
  ['matmul step', 'MLP forward 512·512→128', [512, 512], [512, 128], false, false],
  ['matmul step', 'MLP dW = xᵀ·dY (512 × 128)', [512, 512], [512, 128], true, false],
  ['matmul step', 'MLP dX = dY·Wᵀ (128 → 512)', [512, 128], [512, 128], false, true],
  ['matmul step', 'MLP dW, one view (512 × 128)', [256, 512], [256, 128], true, false],
  ['matmul step', 'ConvNet dense dX = dY·Wᵀ', [512, 128], [1600, 128], false, true],
  ['matmul step', 'ConvNet dense dW = xᵀ·dY', [512, 1600], [512, 128], true, false],
  ['matmul step', 'loss z·zᵀ (512 × 128)', [512, 128], [512, 128], false, true],
  ['matmul step', 'loss dZ = dL·Z (512 × 512 × 128)', [512, 512], [512, 128], false, false],
  ['matmul step', 'loss z·zᵀ, N = 1024 (2048 × 128)', [2048, 128], [2048, 128], false, true],
];
{
  const operands = products.map(([, , sa, sb]) => [tf.randomNormal(sa), tf.randomNormal(sb)]);
  const times = products.map(() => ({ xnnpack: [] as number[], native: [] as number[] }));
  for (let r = -1; r < 24; r++) {
    products.forEach(([, , , , ta, tb], i) => {
      for (const mode of ['xnnpack', 'native'] as const) {
        setNativeEngine(mode === 'native' ? unlimited : null);
        const t0 = performance.now();
        const out = tf.matMul(operands[i][0], operands[i][1], ta, tb);
        const ms = performance.now() - t0;
        out.dispose();
        if (r >= 0) times[i][mode].push(ms);
      }
    });
  }
  setNativeEngine(engine);
  const mean = (xs: number[]) => xs.reduce((sum, x) => sum + x, 0) / xs.length;
  products.forEach(([group, name, sa, sb, ta, tb], i) => {
    const m = ta ? sa[1] : sa[0];
    const k = ta ? sa[0] : sa[1];
    const n = tb ? sb[0] : sb[1];
    // Means: a training step pays the slow stretches too.
    record(group, name, m * k * n, { xnnpack: mean(times[i].xnnpack), native: mean(times[i].native) });
  });
  tf.dispose(operands.flat());
}

type Layer = [string, [number, number, number, number], [number, number, number, number], 'same' | 'valid'];
// ResNet-18's four 3 × 3 stages at batch 32 and the ConvNet's second layer at batch 256.
const CONVNET_SECOND: Layer = ['ConvNet 13²×32 → 64 (valid)', [256, 13, 13, 32], [3, 3, 32, 64], 'valid'];
const RESNET_STAGES: Layer[] = [
  ['ResNet 32²×64 → 64', [32, 32, 32, 64], [3, 3, 64, 64], 'same'],
  ['ResNet 16²×128 → 128', [32, 16, 16, 128], [3, 3, 128, 128], 'same'],
  ['ResNet 8²×256 → 256', [32, 8, 8, 256], [3, 3, 256, 256], 'same'],
  ['ResNet 4²×512 → 512', [32, 4, 4, 512], [3, 3, 512, 512], 'same'],
];

// 3. Conv2DBackpropFilter, stride 1 (ConvNet at batch 256, ResNet-18 stages at batch 32).
const filters: Layer[] = [
  ['ConvNet 28²×1 → 32 (valid)', [256, 28, 28, 1], [3, 3, 1, 32], 'valid'],
  CONVNET_SECOND,
  ...RESNET_STAGES,
  ['small 8²×16 → 16, batch 8', [8, 8, 8, 16], [3, 3, 16, 16], 'same'],
  ['small 8²×32 → 32, batch 4', [4, 8, 8, 32], [3, 3, 32, 32], 'same'],
  ['small 16²×32 → 32, batch 8', [8, 16, 16, 32], [3, 3, 32, 32], 'same'],
];
for (const [name, xs, fs_, pad] of filters) {
  const x = tf.randomNormal(xs) as tf.Tensor4D;
  const y = tf.conv2d(x, tf.randomNormal(fs_) as tf.Tensor4D, 1, pad);
  const dy = tf.randomNormal(y.shape);
  const macs = y.size * fs_[0] * fs_[1] * fs_[2];
  record(
    'filter grad',
    name,
    macs,
    timeBoth(
      () =>
        tf
          .engine()
          .runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad, dataFormat: 'NHWC', filterShape: fs_ }) as tf.Tensor,
    ),
  );
  tf.dispose([x, y, dy]);
}

// 4. Conv2D forward and Conv2DBackpropInput (one Conv2D per stride phase), stride 1.
const convs: Layer[] = [
  CONVNET_SECOND,
  ...RESNET_STAGES,
  ['ResNet 8²×128 → 128, batch 8', [8, 8, 8, 128], [3, 3, 128, 128], 'same'],
];
for (const [name, xs, fs_, pad] of convs) {
  const x = tf.randomNormal(xs) as tf.Tensor4D;
  const w = tf.randomNormal(fs_) as tf.Tensor4D;
  const y = tf.conv2d(x, w, 1, pad);
  const dy = tf.randomNormal(y.shape);
  const macs = y.size * fs_[0] * fs_[1] * fs_[2];
  record(
    'conv forward',
    name,
    macs,
    timeBoth(() => tf.conv2d(x, w, 1, pad)),
  );
  record(
    'input grad',
    name,
    macs,
    timeBoth(
      () =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropInput',
            { dy, filter: w },
            { strides: 1, pad, dataFormat: 'NHWC', inputShape: xs },
          ) as tf.Tensor,
    ),
  );
  tf.dispose([x, w, y, dy]);
}

// 5. MaxPoolGrad 2 × 2: with the pool's output (tiling windows: WebAssembly SIMD in place) and
// without (search), alternating; then, where the threaded heap has a SIMD helper thread, the
// tiling windows in two shares against one, alternating on their own (after a search, the next
// call ran slower, whichever it was).
const memory = heapMemory(tf.backend());
const helper = memory ? simdHelper(memory) : null;
const pools: { name: string; ms: number; searchMs: number; twoSharesMs: number | null; oneShareMs: number | null }[] = [];
for (const shape of [
  [256, 26, 26, 32],
  [256, 11, 11, 64],
] as [number, number, number, number][]) {
  const x = tf.relu(tf.randomNormal(shape)) as tf.Tensor4D;
  const y = tf.maxPool(x, 2, 2, 'valid');
  const dy = tf.randomNormal(y.shape);
  const attrs = { filterSize: 2, strides: 2, pad: 'valid' };
  const time = (mode: 'withOutput' | 'search') => {
    const t0 = performance.now();
    const out = tf.engine().runKernel('MaxPoolGrad', mode === 'search' ? { dy, input: x } : { dy, input: x, output: y }, attrs);
    const ms = performance.now() - t0;
    tf.dispose(out as tf.Tensor);
    return ms;
  };
  const t = { withOutput: [] as number[], search: [] as number[], twoShares: [] as number[], oneShare: [] as number[] };
  for (let r = -1; r < REPS; r++) {
    for (const mode of ['withOutput', 'search'] as const) {
      const ms = time(mode);
      if (r >= 0) t[mode].push(ms);
    }
  }
  for (let r = -1; r < (memory && helper ? REPS : -1); r++) {
    for (const mode of ['twoShares', 'oneShare'] as const) {
      if (memory && helper) setSimdHelper(memory, mode === 'oneShare' ? null : helper);
      const ms = time('withOutput');
      if (r >= 0) t[mode].push(ms);
    }
  }
  if (memory && helper) setSimdHelper(memory, helper);
  const row = {
    name: `MaxPoolGrad [${shape}]`,
    ms: median(t.withOutput),
    searchMs: median(t.search),
    twoSharesMs: helper ? median(t.twoShares) : null,
    oneShareMs: helper ? median(t.oneShare) : null,
  };
  pools.push(row);
  const shares =
    row.oneShareMs == null || row.twoSharesMs == null
      ? ''
      : `; two shares ${row.twoSharesMs.toFixed(2)} ms, one ${row.oneShareMs.toFixed(2)} ms`;
  console.log(
    `maxpool grad   ${row.name.padEnd(34)} tiling windows (SIMD) ${row.ms.toFixed(2)} ms, search ${row.searchMs.toFixed(2)} ms (${(row.searchMs / row.ms).toFixed(2)}×)${shares}`,
  );
  tf.dispose([x, y, dy]);
}

// 6. Routes of the native engine against the ones they replaced, both native (alternating,
// medians): products with a large output as row blocks or whole; convolutions and stride-1
// filter gradients as im2col and one Gemm or on the NCHWc kernels; on larger maps, the NCHWc
// kernels against onnxruntime's generic Conv and the tap windows.
const routes: { name: string; before: string; after: string; beforeMs: number; afterMs: number }[] = [];
const filterGradient = (x: tf.Tensor, dy: tf.Tensor, filterShape: number[], pad: 'same' | 'valid') =>
  tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad, dataFormat: 'NHWC', filterShape }) as tf.Tensor;
const inputGradient = (dy: tf.Tensor, filter: tf.Tensor, inputShape: number[], pad: 'same' | 'valid') =>
  tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { strides: 1, pad, dataFormat: 'NHWC', inputShape }) as tf.Tensor;
const withLimits = (limits: Partial<NativeLimits>) => new NativeSessions(engine.runtime, { ...unlimited.limits, ...limits });
function compareRoutes(name: string, before: [string, NativeSessions], after: [string, NativeSessions], run: () => tf.Tensor) {
  const t = { before: [] as number[], after: [] as number[] };
  for (let r = -1; r < REPS; r++) {
    for (const mode of ['before', 'after'] as const) {
      setNativeEngine(mode === 'before' ? before[1] : after[1]);
      const t0 = performance.now();
      const result = run();
      const ms = performance.now() - t0;
      result.dispose();
      if (r >= 0) t[mode].push(ms);
    }
  }
  setNativeEngine(engine);
  const row = { name, before: before[0], after: after[0], beforeMs: median(t.before), afterMs: median(t.after) };
  routes.push(row);
  console.log(
    `native route   ${name.padEnd(34)} ${row.before} ${row.beforeMs.toFixed(2)} ms, ${row.after} ${row.afterMs.toFixed(2)} ms (${(row.beforeMs / row.afterMs).toFixed(2)}×)`,
  );
}
{
  const whole: [string, NativeSessions] = ['whole', withLimits({ outputBlockBytes: Number.POSITIVE_INFINITY })];
  const blocks: [string, NativeSessions] = ['row blocks', withLimits({})];
  const a = tf.randomNormal([2048, 128]);
  const b = tf.randomNormal([128, 8192]);
  compareRoutes('product 2048 × 128 × 8192 (64 MB out)', whole, blocks, () => tf.matMul(a, b));
  tf.dispose([a, b]);
  const conv: [string, NativeSessions] = ['NCHWc', withLimits({ im2colMaxPixels: 0, filterGradientIm2colMaxPixels: 0 })];
  const im2col: [string, NativeSessions] = [
    'im2col + Gemm',
    withLimits({ im2colMaxPixels: Number.POSITIVE_INFINITY, filterGradientIm2colMaxPixels: Number.POSITIVE_INFINITY }),
  ];
  for (const [name, xs, fs_, pad] of [CONVNET_SECOND, ...RESNET_STAGES]) {
    const x = tf.randomNormal(xs) as tf.Tensor4D;
    const w = tf.randomNormal(fs_) as tf.Tensor4D;
    const dy = tf.randomNormal(tf.conv2d(x, w, 1, pad).shape);
    compareRoutes(`conv ${name}`, conv, im2col, () => tf.conv2d(x, w, 1, pad));
    compareRoutes(`filter grad ${name}`, conv, im2col, () => filterGradient(x, dy, fs_, pad));
    tf.dispose([x, w, dy]);
  }
  for (const [, sessions] of [whole, blocks, conv, im2col]) sessions.dispose();
}
{
  // MLAS's NCHWc kernels against onnxruntime's generic Conv and the tap windows (maps above the
  // im2col limit: the ConvNet's second layer and ResNet-18's two first stages).
  const generic: [string, NativeSessions] = [
    'Conv / taps',
    withLimits({ nchwcConv: false, nchwcFilterGradient: false, tapBlocksMaxChannels: 0 }),
  ];
  const nchwc: [string, NativeSessions] = ['NCHWc', withLimits({ tapBlocksMaxChannels: 0 })];
  for (const [name, xs, fs_, pad] of [CONVNET_SECOND, ...RESNET_STAGES.slice(0, 2)]) {
    const x = tf.randomNormal(xs) as tf.Tensor4D;
    const w = tf.randomNormal(fs_) as tf.Tensor4D;
    const dy = tf.randomNormal(tf.conv2d(x, w, 1, pad).shape);
    compareRoutes(`conv ${name}`, generic, nchwc, () => tf.conv2d(x, w, 1, pad));
    compareRoutes(`input grad ${name}`, generic, nchwc, () => inputGradient(dy, w, xs, pad));
    compareRoutes(`filter grad ${name}`, generic, nchwc, () => filterGradient(x, dy, fs_, pad));
    tf.dispose([x, w, dy]);
  }
  for (const [, sessions] of [generic, nchwc]) sessions.dispose();
}

{
  // Stride-1 filter gradients of 64 and 128 channels: the tap windows in blocks of images (every
  // tap of a block while it is in cache) against the NCHWc route, at batch 32 and at the 512
  // images of a two-view step at batch 256; and the ConvNet's 32-channel layer, which keeps NCHWc.
  const nchwc: [string, NativeSessions] = ['NCHWc', withLimits({ tapBlocksMaxChannels: 0 })];
  const blocks: [string, NativeSessions] = [
    'taps in image blocks',
    withLimits({ tapBlocksMinBatchBytes: 0, tapBlocksMinChannels: 0 }),
  ];
  const layers = RESNET_STAGES.slice(0, 2).flatMap(([n, x, f, p]): Layer[] => [
    [n, x, f, p],
    [`${n}, 512 images`, [512, x[1], x[2], x[3]], f, p],
  ]);
  for (const [name, xs, fs_, pad] of [...layers, CONVNET_SECOND]) {
    const x = tf.randomNormal(xs) as tf.Tensor4D;
    const w = tf.randomNormal(fs_) as tf.Tensor4D;
    const dy = tf.randomNormal(tf.conv2d(x, w, 1, pad).shape);
    compareRoutes(`filter grad ${name}`, nchwc, blocks, () => filterGradient(x, dy, fs_, pad));
    tf.dispose([x, w, dy]);
  }
  for (const [, sessions] of [nchwc, blocks]) sessions.dispose();
}

{
  // 7. Strided input gradients (ResNet-18's stage transitions at batch 32, stride 2): the 3 × 3
  // layers as onnxruntime's ConvTranspose against one stride-1 convolution per phase (both native;
  // ConvTranspose forced on the last, whose 4 × 4 dY keeps the phases by default); the 1 × 1
  // projections as a matmul and a scatter against the phases, called directly.
  const stridedInputGradient = (dy: tf.Tensor, filter: tf.Tensor, inputShape: number[]) =>
    tf
      .engine()
      .runKernel('Conv2DBackpropInput', { dy, filter }, { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape }) as tf.Tensor;
  const phases: [string, NativeSessions] = ['phases', new NativeSessions(engine.runtime, { stridedInputGradient: false })];
  const transpose: [string, NativeSessions] = [
    'ConvTranspose',
    new NativeSessions(engine.runtime, { inputGradientIm2colMaxPixels: 0 }),
  ];
  const transitions: [string, number[], number[]][] = [
    ['ResNet 32²×64 → 16²×128', [32, 32, 32, 64], [3, 3, 64, 128]],
    ['ResNet 16²×128 → 8²×256', [32, 16, 16, 128], [3, 3, 128, 256]],
    ['ResNet 8²×256 → 4²×512', [32, 8, 8, 256], [3, 3, 256, 512]],
  ];
  for (const [name, xs, fs_] of transitions) {
    const w = tf.randomNormal(fs_);
    const dy = tf.randomNormal(tf.conv2d(tf.zeros(xs as Layer[1]) as tf.Tensor4D, w as tf.Tensor4D, 2, 'same').shape);
    compareRoutes(`input grad ${name}`, phases, transpose, () => stridedInputGradient(dy, w, xs));
    tf.dispose([w, dy]);
  }
  for (const [, sessions] of [phases, transpose]) sessions.dispose();
  const backend = tf.engine().backend;
  for (const [name, xs, fs_] of transitions.map(([n, x, f]): [string, number[], number[]] => [n, x, [1, 1, f[2], f[3]]])) {
    const w = tf.randomNormal(fs_);
    const dy = tf.randomNormal(tf.conv2d(tf.zeros(xs as Layer[1]) as tf.Tensor4D, w as tf.Tensor4D, 2, 'same').shape);
    const g: ConvGeometry = { fh: 1, fw: 1, sh: 2, sw: 2, top: 0, left: 0, ho: dy.shape[1] as number, wo: dy.shape[2] as number };
    const time = (route: 'phases' | 'pointwise') => {
      const call = new KernelCall(backend, new Map(), 'Conv2DBackpropInput');
      const t0 = performance.now();
      const out =
        route === 'phases'
          ? inputGradientByPhases(call, dy, w, g, xs)
          : (pointwiseInputGradient(call, dy, w, g, xs) as tf.TensorInfo);
      const ms = performance.now() - t0;
      call.release();
      backend.disposeData(out.dataId);
      return ms;
    };
    const t = { phases: [] as number[], pointwise: [] as number[] };
    for (let r = -1; r < REPS; r++) {
      for (const route of ['phases', 'pointwise'] as const) {
        const ms = time(route);
        if (r >= 0) t[route].push(ms);
      }
    }
    const row = {
      name: `input grad 1×1 ${name}`,
      before: 'phases',
      after: 'matmul + scatter',
      beforeMs: median(t.phases),
      afterMs: median(t.pointwise),
    };
    routes.push(row);
    console.log(
      `composed route ${row.name.padEnd(34)} phases ${row.beforeMs.toFixed(2)} ms, matmul + scatter ${row.afterMs.toFixed(2)} ms`,
    );
    tf.dispose([w, dy]);
  }
}

const out = new URL('./results/kernels.json', import.meta.url);
fs.mkdirSync(new URL('.', out), { recursive: true });
const tmp = new URL(`./results/.kernels.json.${process.pid}`, import.meta.url);
fs.writeFileSync(
  tmp,
  `${JSON.stringify({ date: new Date().toISOString(), machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model }, backend: choice, reps: REPS, rows, maxPoolGrad: pools, nativeRoutes: routes }, null, 2)}\n`,
);
fs.renameSync(tmp, out);
console.log(`wrote ${out.pathname}`);
