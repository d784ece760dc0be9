import { asHeapBackend } from '../core/heap.js';
import { copyRun } from '../core/heap-copy.js';
import type { KernelCall, TensorInfo } from '../core/kernel-call.js';
import type { ConvGeometry } from '../core/phase-grid.js';
import { inTwoShares } from '../simd/simd-helper.js';
import { heapSimdKernels } from '../simd/simd-kernels.js';

// Input gradient of a strided 1 × 1 convolution (ResNet's projection shortcuts): dY[n, y, x] · Wᵀ
// lands on the one input pixel (y·s − top, x·s − left) that output pixel read, and every other
// input pixel gets 0. One matmul and a scatter, where the phases run s_h · s_w convolutions, all
// but one of zeros, and interleave them. Timings: packages/kernels/README.md.

/** Conv2DBackpropInput (NHWC) of a 1 × 1 filter with a stride; null for other filters. */
export function pointwiseInputGradient(
  call: KernelCall,
  dy: TensorInfo,
  filter: TensorInfo,
  g: ConvGeometry,
  inputShape: number[],
): TensorInfo | null {
  const [fh, fw, c, o] = filter.shape;
  if (fh !== 1 || fw !== 1 || dy.dtype !== 'float32' || filter.dtype !== 'float32') return null;
  const [n, h, w] = inputShape;
  const pixels = n * g.ho * g.wo;
  // [1, N·Ho·Wo, O] · [1, C, O]ᵀ: each output pixel's contribution to its input pixel
  const weights = call.reshape(filter, [1, c, o]);
  const product = call.run(
    'BatchMatMul',
    { a: call.reshape(dy, [1, pixels, o]), b: weights },
    {
      transposeA: false,
      transposeB: true,
    },
  );
  const heap = asHeapBackend(call.backend);
  const dx = heap.makeOutput(inputShape, 'float32');
  // Views after makeOutput: allocating may grow (and so replace) the heap buffer.
  const out = heap.typedArrayFromHeap(dx) as Float32Array;
  const rows = heap.typedArrayFromHeap(product) as Float32Array;
  out.fill(0);
  // Whole rows of the stride grid inside the input (stride-2 'same' on even maps): SIMD copies of
  // the rows, output rows in two shares (block-loops.ts); a JavaScript loop of one copy per pixel
  // took several times as long on ResNet-18's first projection.
  if (g.top === 0 && g.left === 0 && h === g.ho * g.sh && (g.wo - 1) * g.sw < w && (c * 4) % 32 === 0 && heapSimdKernels(heap)) {
    const pixel = c * 4;
    const step = { src: g.wo * pixel, dst: g.sh * w * pixel };
    inTwoShares(heap, n * g.ho, 2 * step.src, (first, count) => ({
      name: 'blockScatter',
      args: [
        rows.byteOffset + first * step.src,
        out.byteOffset + first * step.dst,
        count,
        g.wo,
        1,
        pixel,
        step.src,
        step.dst,
        pixel,
        g.sw * pixel,
        0,
      ],
    }));
    return dx;
  }
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < g.ho; y++) {
      const iy = y * g.sh - g.top;
      if (iy < 0 || iy >= h) continue;
      for (let x = 0; x < g.wo; x++) {
        const ix = x * g.sw - g.left;
        if (ix < 0 || ix >= w) continue;
        copyRun(out, ((b * h + iy) * w + ix) * c, rows, ((b * g.ho + y) * g.wo + x) * c, c);
      }
    }
  }
  return dx;
}
