#!/usr/bin/env node
// The sgemm peak of onnxruntime-node (MLAS, the native engine behind xclr wasm's large matmuls):
// best GFLOP/s of one MatMul of two square float32 matrices, on a given number of intra-op
// threads. bench/train-step.mjs reports it next to each step's achieved GFLOP/s, with PyTorch's
// (bench/torch_train_step.py --sgemm-peak).
//
//   node --import tsx bench/src/sgemm-peak.ts --threads 2 --size 2048 --reps 5
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';

// A minimal ONNX model, C = MatMul(A, B) on [size, size] float32, serialised by hand (protobuf
// wire format: field number × 8 + wire type, varints, length-delimited messages).
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n % 128) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const int = (field: number, n: number) => [...varint(field * 8), ...varint(n)];
const message = (field: number, bytes: number[]) => [...varint(field * 8 + 2), ...varint(bytes.length), ...bytes];
const text = (field: number, s: string) => message(field, [...new TextEncoder().encode(s)]);

function matMulModel(size: number): Uint8Array {
  const FLOAT = 1;
  // ValueInfoProto { name = 1, type = 2: TypeProto { tensor_type = 1: { elem_type = 1, shape = 2: { dim = 1: { dim_value = 1 } } } } }
  const valueInfo = (name: string) => [
    ...text(1, name),
    ...message(2, message(1, [...int(1, FLOAT), ...message(2, [...message(1, int(1, size)), ...message(1, int(1, size))])])),
  ];
  // NodeProto { input = 1, output = 2, op_type = 4 }
  const node = [...text(1, 'A'), ...text(1, 'B'), ...text(2, 'C'), ...text(4, 'MatMul')];
  // GraphProto { node = 1, name = 2, input = 11, output = 12 }
  const graph = [
    ...message(1, node),
    ...text(2, 'sgemm'),
    ...message(11, valueInfo('A')),
    ...message(11, valueInfo('B')),
    ...message(12, valueInfo('C')),
  ];
  // ModelProto { ir_version = 1, graph = 7, opset_import = 8: { version = 2 } }
  return new Uint8Array([...int(1, 8), ...message(7, graph), ...message(8, int(2, 13))]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      threads: { type: 'string', default: '2' },
      size: { type: 'string', default: '2048' },
      reps: { type: 'string', default: '5' },
    },
  });
  const threads = Number(values.threads);
  const size = Number(values.size);
  const reps = Number(values.reps);
  const session = await ort.InferenceSession.create(matMulModel(size), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const fill = (seed: number) => Float32Array.from({ length: size * size }, (_, i) => ((i * 7919 + seed) % 1000) / 1000);
  const feeds = { A: new ort.Tensor('float32', fill(1), [size, size]), B: new ort.Tensor('float32', fill(2), [size, size]) };
  await session.run(feeds); // warm-up
  const eachRep: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    eachRep.push((2 * size ** 3) / ((performance.now() - t0) / 1000) / 1e9);
  }
  await session.release();
  const { version } = createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string };
  process.stdout.write(
    `${JSON.stringify({ engine: `onnxruntime-node ${version} MatMul (MLAS)`, threads, size, gflops: Math.max(...eachRep), eachRep })}\n`,
  );
}

await main();
