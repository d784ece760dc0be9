import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useFastestBackend } from '@xclr/backend';
import { webgpuSkipReason } from '@xclr/vitest-config/webgpu';
import { describe, expect, it } from 'vitest';
import { computeTopK, createTextEncoder, createUseLiteEncoder, exactTopK, exactTopKOnnx, loadOnnxRuntime } from '../src/index.js';
import { writeTinyBert } from './helpers/tiny-bert.js';

// The webgpu lane (`npm run test:webgpu`): top-k graphs and caption embeddings on a GPU without
// CUDA, each checked equal to its CPU result.
// - onnxruntime-node's WebGPU execution provider (its own Dawn, Vulkan only): `exactTopKOnnx` and
//   the transformers.js encoder with `device: 'webgpu'`. On a machine without a GPU it needs a
//   software Vulkan driver Dawn accepts: `eval "$(bash scripts/mesa-lavapipe.sh)"` (.ci/run does).
// - tfjs's webgpu backend: `exactTopK`, and the bundled USE-lite encoder made while webgpu is active.
// Each part skips, saying why, where its adapter cannot be had.

function unitRows(n: number, dim: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const x = Float32Array.from({ length: n * dim }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
  for (let r = 0; r < n; r++) {
    const row = x.subarray(r * dim, (r + 1) * dim);
    const norm = Math.hypot(...row);
    for (let c = 0; c < dim; c++) row[c] /= norm;
  }
  return x;
}
const [N, DIM, K] = [600, 32, 8];
const rows = unitRows(N, DIM, 11);

/** Same neighbour sets row by row (ties aside: random rows have none) and scores to 1e-5. */
function expectSameGraph(a: { neighbors: Int32Array; scores: Float32Array }, b: { neighbors: Int32Array; scores: Float32Array }) {
  for (let r = 0; r < N; r++) {
    expect(new Set(a.neighbors.subarray(r * K, (r + 1) * K))).toEqual(new Set(b.neighbors.subarray(r * K, (r + 1) * K)));
  }
  for (const [i, v] of a.scores.entries()) expect(Math.abs(v - b.scores[i])).toBeLessThan(1e-5);
}

const { ort, reason: ortMissing } = await loadOnnxRuntime();
async function ortWebGpu(): Promise<string | null> {
  if (!ort) return ortMissing;
  try {
    await exactTopKOnnx(ort, rows.subarray(0, 4 * DIM), DIM, 'probe', { k: 1, executionProviders: ['webgpu'] });
    return null;
  } catch (err) {
    return `onnxruntime's WebGPU provider: ${(err as Error).message.split('\n')[0].replace(/^.*: (?=Failed)/, '')}`;
  }
}
const ortSkipped = await ortWebGpu();
if (ortSkipped) console.warn(`webgpu lane (onnxruntime) skipped: ${ortSkipped}`);

describe.skipIf(ortSkipped !== null)(`onnxruntime-node on WebGPU${ortSkipped ? ` (skipped: ${ortSkipped})` : ''}`, () => {
  it('exactTopKOnnx with executionProviders [webgpu] (computeTopK engine onnxruntime-webgpu) equals the CPU provider', async () => {
    const gpu = await exactTopKOnnx(ort!, rows, DIM, 'x', { k: K, blockRows: 128, executionProviders: ['webgpu'] });
    const cpu = await exactTopKOnnx(ort!, rows, DIM, 'x', { k: K, blockRows: 128 });
    expectSameGraph(gpu, cpu);
    const viaEngine = await computeTopK(rows, DIM, 'x', { k: K, blockRows: 128, engine: 'onnxruntime-webgpu' });
    expect(viaEngine.note).toBe('onnxruntime-node (webgpu)');
    expectSameGraph(viaEngine.graph, cpu);
  });

  it('the transformers.js encoder (createTextEncoder) with device webgpu embeds as on the CPU', async () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-bert-')), 'tiny-bert');
    writeTinyBert(dir, ['a', 'red', 'sneaker', 'on', 'striped', 'background', 'blue', 'bag']);
    const texts = ['a red sneaker on a striped background', 'blue bag', 'a zebra'];
    const [gpu, cpu] = await Promise.all(
      (['webgpu', 'cpu'] as const).map(async (device) => {
        const encoder = await createTextEncoder(`transformers:${dir}`, { offline: true, device });
        try {
          return await encoder.embed(texts);
        } finally {
          encoder.dispose();
        }
      }),
    );
    for (const [i, v] of gpu.entries()) expect(Math.abs(v - cpu[i])).toBeLessThan(1e-5);
  });
});

// cpu first: a tensor can move from cpu to webgpu, but back only by a synchronous read.
await useFastestBackend({ backend: 'cpu' });
const useLite = await createUseLiteEncoder();
const captions = ['a red sneaker on a striped background', 'a small blue bag in the top left', 'two grey coats'];
const cpuTopK = await exactTopK(rows, DIM, 'x', { k: K, blockRows: 128 });
const cpuCaptions = await useLite.embed(captions);
const tfjsSkipped = await webgpuSkipReason(async () => {
  await useFastestBackend({ backend: 'webgpu' });
  tf.env().set('WEBGPU_CPU_FORWARD', false);
}, 'webgpu lane (tfjs)');

describe.skipIf(tfjsSkipped !== null)(`tfjs webgpu backend${tfjsSkipped ? ` (skipped: ${tfjsSkipped})` : ''}`, () => {
  it('exactTopK on webgpu equals the cpu backend', async () => {
    expectSameGraph(await exactTopK(rows, DIM, 'x', { k: K, blockRows: 128 }), cpuTopK);
  });

  it('USE-lite caption embeddings on webgpu equal the cpu backend', async () => {
    // An encoder made on webgpu loads and runs on the cpu backend (tfjs-converter reads this
    // graph's shapes synchronously), and leaves webgpu active.
    const onGpu = await createUseLiteEncoder();
    const gpu = await onGpu.embed(captions);
    expect(tf.getBackend()).toBe('webgpu');
    onGpu.dispose();
    for (const [i, v] of gpu.entries()) expect(Math.abs(v - cpuCaptions[i])).toBeLessThan(1e-4);
  });
});
