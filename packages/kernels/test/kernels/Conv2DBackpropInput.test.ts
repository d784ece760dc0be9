import { beforeAll, describe, it } from 'vitest';
import { CONV_CASES, convTitle, expectConvMatches } from '../cases.js';
import { useWasmKernels } from '../backends.js';

// Conv2DBackpropInput on wasm (this package's kernel) against tfjs's cpu backend.
beforeAll(useWasmKernels);

// One convolution per phase of the stride (strides 1, 2, 3, 2 × 1, padding before the input
// larger than the filter reach, empty phases).
describe('Conv2DBackpropInput on wasm matches cpu', () => {
  for (const c of CONV_CASES) it(convTitle(c), () => expectConvMatches(c, 'input'));
});
