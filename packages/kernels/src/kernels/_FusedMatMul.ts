import { fusedMatMulKernel } from '../ops/matmul.js';
import type { WasmKernelPatch } from './kernel-config.js';

/** BatchMatMul's routes, with the bias and activation fused. */
export const fusedMatMulConfig: WasmKernelPatch = { kernelName: '_FusedMatMul', kernelFunc: fusedMatMulKernel };
