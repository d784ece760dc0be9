import { beforeAll, describe, it } from 'vitest';
import { CONV_CASES, convTitle, expectConvMatches } from '../cases.js';
import { useWasmKernels } from '../backends.js';

// Conv2D on wasm (this package's kernel) against tfjs's cpu backend.
beforeAll(useWasmKernels);

describe('Conv2D on wasm matches cpu', () => {
  for (const c of CONV_CASES) it(convTitle(c), () => expectConvMatches(c, 'output'));
});
