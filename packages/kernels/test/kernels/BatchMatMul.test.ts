import { beforeAll, describe, it } from 'vitest';
import { expectMatMulMatches, MATMUL_CASES, matMulTitle } from '../cases.js';
import { useWasmKernels } from '../backends.js';

// BatchMatMul on wasm (this package's kernel) against tfjs's cpu backend.
beforeAll(useWasmKernels);

describe('BatchMatMul on wasm matches cpu', () => {
  for (const c of MATMUL_CASES) it(matMulTitle(c), () => expectMatMulMatches(c));
});
