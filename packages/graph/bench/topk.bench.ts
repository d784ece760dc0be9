// Top-k similarity throughput: onnxruntime-node (a generated MatMul → TopK graph) and tfjs on
// wasm against FAISS IndexFlatIP (Debian's python3-faiss) on the same random unit vectors,
// Q query rows × N rows, as ratios in one run; checks that the engines agree on the neighbours.
//   npm run bench -w @xclr/graph    (XCLR_TOPK_BENCH="Q,N,DIM,K", default 4096,100000,384,16;
//                                     writes bench/results/topk.json)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useFastestBackend } from '@xclr/backend';
import { exactTopK, exactTopKOnnx, loadOnnxRuntime, type TopKShard } from '../src/index.js';

const [Q, N, DIM, K] = (process.env.XCLR_TOPK_BENCH ?? '4096,100000,384,16').split(',').map(Number);
const here = path.dirname(new URL(import.meta.url).pathname);

// Deterministic random unit rows (mulberry32 + Box–Muller).
let state = 7;
const rand = () => {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const x = new Float32Array(N * DIM);
for (let i = 0; i < x.length; i++) x[i] = Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
for (let r = 0; r < N; r++) {
  let s = 0;
  for (let c = 0; c < DIM; c++) s += x[r * DIM + c] ** 2;
  s = Math.sqrt(s);
  for (let c = 0; c < DIM; c++) x[r * DIM + c] /= s;
}
const options = { k: K, blockRows: 512, rowRange: [0, Q] as [number, number] };
// onnxruntime's query block (its memory is block × N floats, outside the 4 GB wasm heap).
const ortBlock = Number(process.env.XCLR_TOPK_ORT_BLOCK ?? 256);

/** Neighbour sets of rows 0..Q-1 (self excluded). */
const setsOf = (g: TopKShard) => Array.from({ length: Q }, (_, r) => new Set(g.neighbors.subarray(r * K, (r + 1) * K)));

const rows: { engine: string; seconds: number; ratioToFaiss?: number; agreement?: number }[] = [];
let faiss: Set<number>[] | null = null;
let faissSeconds = 0;
const file = path.join(os.tmpdir(), `xclr-topk-${process.pid}.f32`);
fs.writeFileSync(file, new Uint8Array(x.buffer));
try {
  const out = execFileSync('/usr/bin/python3', [path.join(here, 'faiss_topk.py'), file, String(N), String(DIM), String(Q), String(K)], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const r = JSON.parse(out);
  faissSeconds = r.seconds;
  faiss = (r.ids as number[][]).map((ids, row) => new Set(ids.filter((j) => j !== row).slice(0, K)));
  rows.push({ engine: `faiss ${r.version} IndexFlatIP (${r.threads} threads)`, seconds: r.seconds, ratioToFaiss: 1 });
} catch (err) {
  console.log(`FAISS not measured: ${(err as Error).message.split('\n')[0]} (apt-get install python3-faiss)`);
} finally {
  fs.rmSync(file, { force: true });
}
const agree = (sets: Set<number>[]) => {
  if (!faiss) return undefined;
  let same = 0;
  sets.forEach((s, r) => {
    for (const j of s) if ((faiss as Set<number>[])[r].has(j)) same++;
  });
  return same / (Q * K);
};
const measure = async (engine: string, run: () => Promise<TopKShard> | TopKShard) => {
  const t0 = performance.now();
  const g = await run();
  const seconds = (performance.now() - t0) / 1000;
  rows.push({ engine, seconds, ratioToFaiss: faiss ? faissSeconds / seconds : undefined, agreement: agree(setsOf(g)) });
};

const { ort, reason } = await loadOnnxRuntime();
if (ort) await measure(`onnxruntime-node (MatMul → TopK, ${ortBlock}-row blocks)`, () => exactTopKOnnx(ort, x, DIM, 'bench', { ...options, blockRows: ortBlock }));
else console.log(`onnxruntime not measured: ${reason}`);
const choice = await useFastestBackend({ backend: 'wasm' });
if (process.env.XCLR_TOPK_TFJS !== '0') await measure(`tfjs ${choice.backend} (${choice.threads} threads)`, () => exactTopK(x, DIM, 'bench', options));

console.log(`exact cosine top-${K}: ${Q} queries × ${N} rows × ${DIM} dims (ratio > 1: faster than FAISS)`);
console.log(['engine', 'seconds', '× FAISS', 'same neighbours'].map((h, i) => (i ? h.padStart(16) : h.padEnd(44))).join(''));
for (const r of rows) {
  console.log(
    [r.engine.padEnd(44), r.seconds.toFixed(2).padStart(16), (r.ratioToFaiss?.toFixed(2) ?? '–').padStart(16), (r.agreement === undefined ? '–' : `${(100 * r.agreement).toFixed(2)}%`).padStart(16)].join(''),
  );
}
const outFile = path.join(here, 'results', 'topk.json');
fs.mkdirSync(path.dirname(outFile), { recursive: true });
fs.writeFileSync(outFile, `${JSON.stringify({ date: new Date().toISOString(), q: Q, n: N, dim: DIM, k: K, rows }, null, 2)}\n`);
console.log(`wrote ${outFile}`);
