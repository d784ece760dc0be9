// What `npm run bench:train-step` measures (bench/train-step.mjs) and what its README table
// (bench/train-step-table.mjs) shows: the rows, their targets against PyTorch's best environment,
// the PyTorch environments and the analytic FLOP counts. Plain JavaScript: the table generator
// runs in CI on plain node.

/**
 * The three PyTorch environments whose best (fastest median) each row is compared with: as
 * installed; with one OpenBLAS thread (Debian's PyTorch runs its OpenMP threads and OpenBLAS's own
 * pool side by side on the same cores); with the glibc malloc settings the xclr bench and CLI run
 * with (GLIBC_TUNABLES = @xclr/backend's TRAINING_MALLOC_TUNABLES).
 */
export const PYTORCH_ENVIRONMENTS = [
  { runner: 'pytorch', environment: 'as installed' },
  { runner: 'pytorch, OPENBLAS_NUM_THREADS=1', environment: 'OPENBLAS_NUM_THREADS=1' },
  { runner: "pytorch, xclr's GLIBC_TUNABLES", environment: "xclr's GLIBC_TUNABLES" },
];

/** The xclr runner each row's target is about. */
export const XCLR_RUNNER = 'xclr wasm';

/**
 * The rows. `target`: least ratio of PyTorch's best median step time to xclr's (above 1: xclr is
 * faster), or null for a row measured without one. `rounds`, `steps`, `warmup`: the defaults of a full run; `quick` those of --quick.
 * ResNet-18 at batch 256 runs both views, 512 images, in one pass (the wasm heap peaks at 3.2 of
 * its 4 GiB: bench:step's wasmHeapBytes; `chunk: n` would run the encoder n images at a time, by
 * gradient caching).
 */
export const CASES = [
  {
    id: 'mlp',
    kind: 'step',
    model: 'mlp',
    batch: 256,
    label: 'MLP 784-512-512-128',
    target: 1.25,
    rounds: 5,
    steps: 20,
    // V8 optimises the step's JavaScript over its first few dozen calls (measured: the backend
    // README, below the training-step table).
    warmup: 50,
    quick: { steps: 5, warmup: 3 },
  },
  {
    id: 'convnet',
    kind: 'step',
    model: 'convnet',
    batch: 256,
    label: 'ConvNet c32-pool-c64-pool-d128',
    target: 1.0,
    rounds: 5,
    steps: 10,
    warmup: 8,
    quick: { steps: 3, warmup: 2 },
  },
  {
    id: 'resnet18@256',
    kind: 'step',
    model: 'resnet18',
    batch: 256,
    label: 'ResNet-18 (CIFAR stem) + 128-d head',
    target: 1.0,
    // A step on two views of 256 images takes seconds on 2 cores; the first steps grow the heap.
    rounds: 2,
    steps: 2,
    warmup: 3,
    quick: { steps: 1, warmup: 0 },
  },
  {
    id: 'resnet18@32',
    kind: 'step',
    model: 'resnet18',
    batch: 32,
    label: 'ResNet-18 (CIFAR stem) + 128-d head',
    target: 0.6,
    rounds: 3,
    steps: 4,
    warmup: 2,
    quick: { steps: 2, warmup: 1 },
  },
  {
    id: 'loss',
    kind: 'loss',
    model: 'xclr-loss',
    batch: 1024,
    dim: 128,
    label: 'X-CLR loss alone, D = 128, forward + backward',
    target: 1.0,
    rounds: 5,
    steps: 20,
    warmup: 10,
    quick: { steps: 5, warmup: 2 },
  },
  {
    // No target: shows what the loss costs where its [2N, 2N] matrices no longer fit comfortably
    // (xclr computes it in blocks of anchor rows; PyTorch as written, whole).
    id: 'loss@4096',
    kind: 'loss',
    model: 'xclr-loss',
    batch: 4096,
    dim: 128,
    label: 'X-CLR loss alone, D = 128, forward + backward',
    target: null,
    // A PyTorch loss takes seconds here.
    rounds: 2,
    steps: 2,
    warmup: 1,
    quick: { steps: 1, warmup: 1 },
  },
];

/** `--models` names: a case id, or a model name for all of its cases (`resnet18`: both batches). */
export function selectCases(names) {
  const picked = [];
  for (const name of names) {
    const found = CASES.filter((c) => c.id === name || c.model === name);
    if (found.length === 0) throw new Error(`--models: '${name}' is none of ${CASES.map((c) => c.id).join(', ')}, resnet18`);
    for (const c of found) if (!picked.includes(c)) picked.push(c);
  }
  return picked;
}

export const FLOP_CONVENTION =
  'flopPerStep: multiply-adds of every convolution and dense layer in the forward pass × 2 (FLOPs), × 3 for forward + backward (input and weight gradients; also for the first layer), × batch × 2 views. Batch norm, activations, pooling, the loss and the optimiser are not counted (nor the extra forward pass of a row run in chunks). The loss row counts its one matmul, the Gram matrix of the 2N × D stacked embeddings ((2N)² · D multiply-adds × 2 × 3). gflops = flopPerStep / median step time.';

const conv = (outSize, k, cin, cout) => outSize * outSize * k * k * cin * cout;

/** Multiply-adds of one sample's forward pass through the bench model's convolutions and dense layers. */
export function forwardMacsPerSample(model) {
  switch (model) {
    case 'mlp':
      return 784 * 512 + 512 * 512 + 512 * 128;
    case 'convnet':
      // 3×3 valid convolutions: 28 → 26 (pool 13) → 11 (pool 5); dense 5·5·64 → 128.
      return conv(26, 3, 1, 32) + conv(11, 3, 32, 64) + 5 * 5 * 64 * 128;
    case 'resnet18': {
      // CIFAR stem (3×3, 64, no max-pool) on 32×32×3; stages of two basic blocks, 1×1 projections
      // where the shape changes; global average pool; the bench's 128-d linear head.
      let macs = conv(32, 3, 3, 64);
      let cin = 64;
      let size = 32;
      for (const [stage, c] of [64, 128, 256, 512].entries()) {
        const stride = stage === 0 ? 1 : 2;
        size /= stride;
        macs += conv(size, 3, cin, c) + conv(size, 3, c, c) + (stride !== 1 || cin !== c ? conv(size, 1, cin, c) : 0);
        macs += 2 * conv(size, 3, c, c);
        cin = c;
      }
      return macs + 512 * 128;
    }
    default:
      throw new Error(`no FLOP count for model '${model}'`);
  }
}

/** FLOPs of one timed unit of a case at `batch` (a training step, or the loss's forward + backward). */
export function flopPerStep(c, batch = c.batch) {
  if (c.kind === 'loss') return (2 * batch) ** 2 * c.dim * 2 * 3;
  return forwardMacsPerSample(c.model) * 2 * 3 * batch * 2;
}
