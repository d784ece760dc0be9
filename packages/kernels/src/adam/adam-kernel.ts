import * as tf from '@tensorflow/tfjs-core';
import { asHeapBackend } from '../core/heap.js';
import { inTwoShares } from '../simd/simd-helper.js';
import { heapSimdKernels } from '../simd/simd-kernels.js';

/** One Adam step for one variable: inputs value, m, v, gradient; outputs [value, m, v]. */
export const ADAM_UPDATE = 'XclrAdamUpdate';

export interface AdamUpdateAttrs {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 / (1 − β₁ᵗ) and 1 / (1 − β₂ᵗ) for this step t. */
  correction1: number;
  correction2: number;
}

interface AdamArrays {
  value: Float32Array;
  m: Float32Array;
  v: Float32Array;
  gradient: Float32Array;
}

/**
 * The update tf.train.adam makes with 13 elementwise kernels (each a pass over the variable, each
 * with an output to allocate), in one pass from index `start`, in float64 between the float32
 * loads and stores (the cpu backend, and the last elements after wasm's SIMD loop).
 */
export function adamUpdate(
  input: AdamArrays,
  out: { value: Float32Array; m: Float32Array; v: Float32Array },
  a: AdamUpdateAttrs,
  start = 0,
): void {
  const { value, m, v, gradient } = input;
  const { learningRate, beta1, beta2, epsilon, correction1, correction2 } = a;
  const g1 = 1 - beta1;
  const g2 = 1 - beta2;
  for (let i = start; i < value.length; i++) {
    const g = gradient[i];
    const mi = beta1 * m[i] + g1 * g;
    const vi = beta2 * v[i] + g2 * g * g;
    out.m[i] = mi;
    out.v[i] = vi;
    out.value[i] = value[i] - (learningRate * (mi * correction1)) / (Math.sqrt(vi * correction2) + epsilon);
  }
}

type Inputs = Record<'value' | 'm' | 'v' | 'gradient', tf.TensorInfo>;

function checkInputs(inputs: Inputs): void {
  const size = tf.util.sizeFromShape(inputs.value.shape);
  for (const [name, t] of Object.entries(inputs)) {
    if (t.dtype !== 'float32' || tf.util.sizeFromShape(t.shape) !== size) {
      throw new Error(
        `${ADAM_UPDATE}: ${name} must be float32 [${inputs.value.shape.join(', ')}] like value, got ${t.dtype} [${t.shape.join(', ')}]`,
      );
    }
  }
}

/** On wasm: WebAssembly SIMD in place on the heap (simd-kernels.ts), four elements at a time. */
const wasmAdam: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const ins = inputs as unknown as Inputs;
  checkInputs(ins);
  const heap = asHeapBackend(backend);
  const simd = heapSimdKernels(backend);
  if (simd == null) throw new Error(`${ADAM_UPDATE}: the wasm backend's heap memory was not found`);
  // Outputs first: allocating can grow the heap, which would leave earlier views stale.
  const out = [
    heap.makeOutput(ins.value.shape, 'float32'),
    heap.makeOutput(ins.m.shape, 'float32'),
    heap.makeOutput(ins.v.shape, 'float32'),
  ];
  const view = (t: tf.TensorInfo) => heap.typedArrayFromHeap(t) as Float32Array;
  const input = { value: view(ins.value), m: view(ins.m), v: view(ins.v), gradient: view(ins.gradient) };
  const output = { value: view(out[0]), m: view(out[1]), v: view(out[2]) };
  const a = attrs as unknown as AdamUpdateAttrs;
  const whole = input.value.length & ~3;
  const addresses = [input.value, input.m, input.v, input.gradient, output.value, output.m, output.v].map((t) => t.byteOffset);
  const constants = [a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2, a.learningRate * a.correction1, a.correction2, a.epsilon];
  // four reads and three writes per element
  inTwoShares(backend, whole / 4, 7 * 16, (first, count) => ({
    name: 'adam',
    args: [...addresses.map((at) => at + first * 16), count * 16, ...constants],
  }));
  adamUpdate(input, output, a, whole);
  return out;
};

interface CpuBackend {
  data: { get(id: tf.DataId): { values: tf.backend_util.BackendValues } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

const cpuAdam: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const ins = inputs as unknown as Inputs;
  checkInputs(ins);
  const cpu = backend as unknown as CpuBackend;
  const read = (t: tf.TensorInfo) => cpu.data.get(t.dataId).values as Float32Array;
  const n = tf.util.sizeFromShape(ins.value.shape);
  const out = { value: new Float32Array(n), m: new Float32Array(n), v: new Float32Array(n) };
  adamUpdate(
    { value: read(ins.value), m: read(ins.m), v: read(ins.v), gradient: read(ins.gradient) },
    out,
    attrs as unknown as AdamUpdateAttrs,
  );
  return [
    cpu.makeTensorInfo(ins.value.shape, 'float32', out.value),
    cpu.makeTensorInfo(ins.m.shape, 'float32', out.m),
    cpu.makeTensorInfo(ins.v.shape, 'float32', out.v),
  ];
};

/** Registers the fused update on the backends whose memory JavaScript can read (idempotent). */
export function registerAdamKernels(): void {
  for (const [backendName, kernelFunc] of [
    ['wasm', wasmAdam],
    ['cpu', cpuAdam],
  ] as const) {
    if (tf.getKernel(ADAM_UPDATE, backendName) == null) tf.registerKernel({ kernelName: ADAM_UPDATE, backendName, kernelFunc });
  }
}
