#!/usr/bin/env node
// Exact top-k on a GPU without CUDA: onnxruntime-node's WebGPU execution provider and tfjs's webgpu
// backend against onnxruntime's CPU provider, on the same random unit rows (Q query rows of N × D),
// with the share of neighbour sets that agree. One JSON object on stdout.
//
//   node --conditions=@xclr/source --import tsx bench/src/topk-webgpu.ts [Q N D K]   (default 4096 100000 384 16)
import { useFastestBackend } from '@xclr/backend';
import { exactTopK, exactTopKOnnx, loadOnnxRuntime, type TopKShard } from '@xclr/graph';

const [Q, N, D, K] = (process.argv.length > 2 ? process.argv.slice(2) : ['4096', '100000', '384', '16']).map(Number);
let state = 7;
const uniform = () => {
  state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  return state / 2 ** 32 - 0.5;
};
const rows = Float32Array.from({ length: N * D }, uniform);
for (let r = 0; r < N; r++) {
  const row = rows.subarray(r * D, (r + 1) * D);
  const norm = Math.hypot(...row);
  for (let c = 0; c < D; c++) row[c] /= norm;
}
const options = { k: K, rowRange: [0, Q] as [number, number] };
const sets = (g: TopKShard) => Array.from({ length: Q }, (_, r) => new Set(g.neighbors.subarray(r * K, (r + 1) * K)));
const agreement = (a: Set<number>[], b: Set<number>[]) => a.filter((s, r) => [...s].every((x) => b[r].has(x))).length / Q;

type Row = { engine: string; seconds?: number; agreement?: number; error?: string };
const results: Row[] = [];
const time = async (engine: string, run: () => Promise<TopKShard>): Promise<Set<number>[] | null> => {
  try {
    await run(); // warm: session creation, shader compilation
    const t0 = performance.now();
    const g = await run();
    results.push({ engine, seconds: (performance.now() - t0) / 1000 });
    return sets(g);
  } catch (err) {
    results.push({ engine, error: (err as Error).message.split('\n')[0] });
    return null;
  }
};
const { ort, reason } = await loadOnnxRuntime();
const reference = ort ? await time('onnxruntime cpu', () => exactTopKOnnx(ort, rows, D, 'bench', options)) : null;
if (!ort) results.push({ engine: 'onnxruntime', error: reason });
const ortGpu = ort ? await time('onnxruntime webgpu', () => exactTopKOnnx(ort, rows, D, 'bench', { ...options, executionProviders: ['webgpu'] })) : null;
let adapter: string | null = null;
try {
  const choice = await useFastestBackend({ backend: 'webgpu' });
  adapter = choice.adapter ? `${choice.adapter.vendor} ${choice.adapter.device || choice.adapter.description}`.trim() : null;
} catch (err) {
  results.push({ engine: 'tfjs webgpu', error: (err as Error).message.split('\n')[0] });
}
const tfjsGpu = adapter ? await time('tfjs webgpu', () => exactTopK(rows, D, 'bench', { ...options, blockRows: 1024 })) : null;
for (const [engine, s] of [['onnxruntime webgpu', ortGpu], ['tfjs webgpu', tfjsGpu]] as const) {
  const row = results.find((r) => r.engine === engine);
  if (row && s && reference) row.agreement = agreement(s, reference);
}
process.stdout.write(`${JSON.stringify({ Q, N, D, K, adapter, results })}\n`);
