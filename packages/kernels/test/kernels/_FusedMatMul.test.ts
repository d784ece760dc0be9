import { beforeAll, describe, it } from 'vitest';
import { expectFusedMatMulMatches, FUSED_MATMUL_CASES, fusedTitle } from '../cases.js';
import { useWasmKernels } from '../backends.js';

// _FusedMatMul on wasm (this package's kernel) against tfjs's cpu backend.
beforeAll(useWasmKernels);

describe('fused MatMul (bias, activation) on wasm matches cpu', () => {
  for (const c of FUSED_MATMUL_CASES) it(fusedTitle(c), () => expectFusedMatMulMatches(c));
});
