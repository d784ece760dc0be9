import { beforeAll, describe, it } from 'vitest';
import { CONV_CASES, convTitle, expectConvMatches } from '../cases.js';
import { useWasmKernels } from '../backends.js';

// Conv2DBackpropFilter on wasm (this package's kernel) against tfjs's cpu backend.
beforeAll(useWasmKernels);

// At most 32 weights per output channel take im2col; at least 512 on maps whose phase grid is
// mostly output take the tap windows (several blocks of positions for the 48 × 48 case); the rest
// the Conv2D composition.
describe('Conv2DBackpropFilter on wasm matches cpu', () => {
  for (const c of CONV_CASES) it(convTitle(c), () => expectConvMatches(c, 'filter'));
});
