import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** Runs `fn` on the cpu backend and on wasm, returning both results as flat arrays. */
export async function onCpuAndWasm(fn: () => tf.Tensor | tf.Tensor[]): Promise<{ cpu: Float32Array[]; wasm: Float32Array[] }> {
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    seed = 1;
    const out = tf.tidy(fn);
    const list = Array.isArray(out) ? out : [out];
    const data = await Promise.all(list.map(async (t) => new Float32Array(await t.data())));
    tf.dispose(list);
    return data;
  };
  const cpu = await run('cpu');
  const wasm = await run('wasm');
  return { cpu, wasm };
}

/** |wasm − cpu| ≤ rtol · (|cpu| + max|cpu|·floor): relative, with a floor for entries near zero. */
export function expectMatch(cpu: Float32Array[], wasm: Float32Array[], rtol = 1e-4, floor = 1e-3): void {
  expect(wasm.length).toBe(cpu.length);
  cpu.forEach((c, k) => {
    const w = wasm[k];
    expect(w.length).toBe(c.length);
    let scale = 0;
    for (const v of c) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < c.length; i++) {
      const tol = rtol * (Math.abs(c[i]) + scale * floor) + 1e-7;
      if (!(Math.abs(w[i] - c[i]) <= tol)) {
        expect.fail(`output ${k} element ${i}: wasm ${w[i]}, cpu ${c[i]} (tolerance ${tol})`);
      }
    }
  });
}

let seed = 1;
export function rand(shape: number[]): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed++);
}

/** `f` of x as float32, of x as int32 and as bool, each cast back to float32: copies must be exact for every dtype. */
export const asFloat = (x: tf.Tensor, f: (t: tf.Tensor) => tf.Tensor): tf.Tensor[] => [
  f(x),
  tf.cast(f(tf.cast(tf.mul(x, 1000), 'int32')), 'float32'),
  tf.cast(f(tf.greater(x, 0)), 'float32'),
];
