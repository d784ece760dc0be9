import { batchMatMulKernel } from '../ops/matmul.js';
import type { WasmKernelPatch } from './kernel-config.js';

/** Transposed and batched products on XNNPACK's fast 2-D path, or on the native engine. */
export const batchMatMulConfig: WasmKernelPatch = { kernelName: 'BatchMatMul', kernelFunc: batchMatMulKernel };
