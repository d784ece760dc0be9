// One 256 × 784 × 512 product timed call by call, 60 times, on onnxruntime (through this package's
// native engine), on XNNPACK, and in PyTorch (one thread, if Debian's python3-torch is present):
// shows how steady each engine's time is on this machine.
//   npx tsx --conditions=@xclr/source bench/gemm-loop.ts
import { execFileSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers no gradients in Node; tfjs-layers' bundle does.
import '@tensorflow/tfjs-layers';
import { setUpWasmTraining } from '../src/index.js';
import { nativeEngine, setNativeEngine } from '../src/index.js';

const CALLS = 60;
await setUpWasmTraining();
const engine = nativeEngine();
const a = tf.randomNormal([256, 784]);
const b = tf.randomNormal([784, 512]);

function series(): number[] {
  const ms: number[] = [];
  for (let i = -3; i < CALLS; i++) {
    const t0 = performance.now();
    const y = tf.matMul(a, b);
    const t = performance.now() - t0;
    y.dispose();
    if (i >= 0) ms.push(t);
  }
  return ms;
}

const show = (name: string, ms: number[]) => {
  const s = [...ms].sort((x, y) => x - y);
  console.log(`${name.padEnd(22)} min ${s[0].toFixed(2)}  median ${s[s.length >> 1].toFixed(2)}  max ${s.at(-1)?.toFixed(2)} ms`);
  console.log(`  ${ms.map((x) => x.toFixed(1)).join(' ')}`);
};

if (engine) show('onnxruntime', series());
setNativeEngine(null);
show('XNNPACK', series());
setNativeEngine(engine);
try {
  const script = `import torch, time
torch.set_num_threads(1)
a = torch.randn(256, 784); b = torch.randn(784, 512)
out = []
for i in range(${CALLS + 3}):
    t = time.perf_counter(); a @ b; out.append((time.perf_counter() - t) * 1000)
print(' '.join(f'{x:.4f}' for x in out[3:]))`;
  const out = execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  show('PyTorch, 1 thread', out.trim().split(' ').map(Number));
} catch {
  console.log('PyTorch: not available');
}
