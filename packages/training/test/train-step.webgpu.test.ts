import * as tf from '@tensorflow/tfjs-core';
import { useFastestBackend } from '@xclr/backend';
import { fusedAdam } from '@xclr/kernels';
import { xclrLoss } from '@xclr/losses';
import { ContrastiveModel, type ContrastiveModelConfig } from '@xclr/models';
import { webgpuSkipReason } from '@xclr/vitest-config/webgpu';
import { describe, expect, it } from 'vitest';

// A training step of each encoder on tfjs's webgpu backend (`npm run test:webgpu`: Dawn, on a GPU
// or on Mesa's software rasterizer) against the cpu backend, and 50 steps without a leak. Skips,
// saying why, where no WebGPU adapter can be had.
//
// Reads are asynchronous (`await t.data()`): tfjs's webgpu readSync needs OffscreenCanvas, which
// Node lacks. For the same reason a tensor never goes back from webgpu to cpu here (moving it
// reads it synchronously): each comparison computes on cpu first, then on webgpu.

const skipped = await webgpuSkipReason(async () => {
  await useFastestBackend({ backend: 'webgpu' });
  // Small ops on CPU-resident inputs would run on the cpu backend: make everything run here.
  tf.env().set('WEBGPU_CPU_FORWARD', false);
});
const suite = (title: string) => (skipped ? `${title} (skipped: ${skipped})` : title);

const BATCH = 8;
const head = { hidden: 16, output: 8 };
const MODELS: [string, ContrastiveModelConfig][] = [
  ['MLP', { encoder: { type: 'mlp', inputShape: [8, 8, 1], hidden: [32] }, head }],
  ['ConvNet', { encoder: { type: 'convnet', inputShape: [12, 12, 1], filters: [4, 8], output: 16 }, head }],
  ['ResNet-18 (width 1/8)', { encoder: { type: 'resnet18', inputShape: [16, 16, 3], width: 0.125 }, head }],
];

/** Seeded standard normals from plain JavaScript (Box–Muller on a 32-bit LCG): the same on every backend, no reads. */
function normals(n: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 1) / 2 ** 32;
  };
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
}

/** Two noisy views of seeded images and a class graph over them, as plain arrays (any backend can take them). */
function batchOf(shape: [number, number, number], seed: number) {
  const size = BATCH * shape[0] * shape[1] * shape[2];
  const base = normals(size, seed);
  const [a, b] = [1, 2].map((k) => normals(size, seed + k).map((x, i) => base[i] + 0.1 * x));
  const similarity = Float32Array.from({ length: BATCH * BATCH }, (_, k) =>
    Math.floor(k / BATCH) % 3 === (k % BATCH) % 3 ? 0.8 : 0.1,
  );
  return { a, b, similarity, shape: [BATCH, ...shape] as [number, number, number, number] };
}

type Batch = ReturnType<typeof batchOf>;

function lossOf(model: ContrastiveModel, batch: Batch): () => tf.Scalar {
  return () => {
    const [zA, zB] = model.projectViews(tf.tensor4d(batch.a, batch.shape), tf.tensor4d(batch.b, batch.shape));
    return xclrLoss(zA, zB, tf.tensor2d(batch.similarity, [BATCH, BATCH]));
  };
}

/** The loss and every variable's gradient on the active backend, read asynchronously. */
async function lossAndGradients(model: ContrastiveModel, batch: Batch) {
  const { value, grads } = tf.variableGrads(lossOf(model, batch), model.trainableWeights);
  const loss = (await value.data())[0];
  const out: Record<string, Float32Array> = {};
  for (const [name, g] of Object.entries(grads)) out[name] = (await g.data()) as Float32Array;
  tf.dispose([value, ...Object.values(grads)]);
  return { loss, grads: out };
}

const maxAbs = (x: Float32Array) => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/**
 * The largest |a − e| over a variable's gradient relative to its largest |e| (float32 sums in
 * another order cancel small entries), or to `scale` where given.
 */
function worstRelative(actual: Float32Array, expected: Float32Array, scale = maxAbs(expected)): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / scale);
  return worst;
}

describe.skipIf(skipped != null)(suite('a training step on webgpu equals the cpu backend'), () => {
  for (const [name, config] of MODELS) {
    it(`${name}, batch ${BATCH}: loss and gradients within 1e-4 relative`, async () => {
      await useFastestBackend({ backend: 'cpu' });
      const model = new ContrastiveModel(config, 7);
      const batch = batchOf(config.encoder.inputShape, 11);
      const cpu = await lossAndGradients(model, batch);
      await useFastestBackend({ backend: 'webgpu' });
      const gpu = await lossAndGradients(model, batch);
      expect(tf.getBackend()).toBe('webgpu');
      expect(Math.abs(gpu.loss - cpu.loss) / Math.abs(cpu.loss)).toBeLessThan(1e-4);
      expect(Object.keys(gpu.grads)).toEqual(Object.keys(cpu.grads));
      // A bias right before a batch norm (the ConvNet's last dense layer, then the head's) has a
      // zero gradient in exact arithmetic: float32 noise on both sides, compared to the model's largest.
      const largest = Math.max(...Object.values(cpu.grads).map(maxAbs));
      const worst = Object.entries(cpu.grads).map(([v, g]) => {
        const zero = maxAbs(g) < 1e-6 * largest;
        if (zero)
          console.log(`${name}: ${v}: a zero gradient (${maxAbs(g).toExponential(1)}; largest ${largest.toExponential(1)})`);
        return [v, worstRelative(gpu.grads[v], g, zero ? largest : undefined)] as const;
      });
      console.log(
        `${name}: loss ${gpu.loss} (cpu ${cpu.loss}), worst gradient ${Math.max(...worst.map((w) => w[1])).toExponential(2)}`,
      );
      for (const [v, w] of worst) expect(w, v).toBeLessThan(1e-4);
      // ...and the optimiser's update runs there too (fusedAdam falls back to tf.train.adam's step).
      const optimizer: tf.Optimizer = fusedAdam(1e-3);
      const value = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(lossOf(model, batch), model.trainableWeights);
        optimizer.applyGradients(grads);
        return value;
      });
      expect((await value.data())[0]).toBeCloseTo(gpu.loss, 4);
      value.dispose();
      optimizer.dispose();
    });
  }
});

describe.skipIf(skipped != null)(suite('50 training steps on webgpu leak neither tensors nor GPU memory'), () => {
  for (const [name, config] of MODELS.slice(0, 2)) {
    it(`${name}: tf.memory() flat after warm-up`, async () => {
      await useFastestBackend({ backend: 'webgpu' });
      const model = new ContrastiveModel(config, 3);
      const batch = batchOf(config.encoder.inputShape, 5);
      const optimizer: tf.Optimizer = fusedAdam(1e-3);
      const losses: number[] = [];
      const memory: (tf.MemoryInfo & { numBytesInGPU?: number; numBytesAllocatedInGPU?: number })[] = [];
      for (let step = 0; step < 50; step++) {
        const value = tf.tidy(() => {
          const { value, grads } = tf.variableGrads(lossOf(model, batch), model.trainableWeights);
          optimizer.applyGradients(grads);
          return value;
        });
        losses.push((await value.data())[0]);
        value.dispose();
        memory.push(tf.memory());
      }
      const [warm, last] = [memory[4], memory[49]];
      console.log(
        `${name}: after step 1 ${JSON.stringify(memory[0])}; step 5 ${JSON.stringify(warm)}; step 50 ${JSON.stringify(last)}`,
      );
      // The optimiser's slots appear in step 1; nothing is added after.
      expect(memory.slice(1).every((m) => m.numTensors === memory[0].numTensors)).toBe(true);
      expect(last.numBytesInGPU).toBe(warm.numBytesInGPU);
      // tfjs keeps freed buffers for reuse: the pool reaches its size in the first steps and stays.
      expect(last.numBytesAllocatedInGPU).toBe(warm.numBytesAllocatedInGPU);
      expect(losses[49]).toBeLessThan(losses[0]);
      optimizer.dispose();
    });
  }
});
