import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { DataType, model, node, rawBytes, tensor, valueInfo } from '../src/index.js';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');

describe('the protobuf encoding', () => {
  it('writes a dimension of 300 as the two-byte varint 0xAC 0x02', () => {
    // TensorProto.dims is field 1, varint: key 0x08, then 300 = 0b1_0010_1100 → 0xAC 0x02.
    expect([...tensor('t', DataType.FLOAT, [300], new Uint8Array(0)).subarray(0, 3)]).toEqual([0x08, 0xac, 0x02]);
  });

  it('writes negative ints as 10-byte two-complement varints (protobuf int64)', () => {
    const n = node('Transpose', ['x'], ['y'], [{ name: 'perm', ints: [-1] }]);
    // ... 0x40 (field 8, varint) then 0xFF × 9 and 0x01.
    const at = [...n].indexOf(0x40);
    expect([...n.subarray(at + 1, at + 11)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });
});

describe('models onnxruntime loads and runs', () => {
  it('Gemm with transB, an initializer bias, a float attribute and symbolic dimensions', async () => {
    const bias = Float32Array.from([1, -2]);
    const bytes = model({
      name: 't',
      opset: 13,
      nodes: [
        node(
          'Gemm',
          ['a', 'b', 'c'],
          ['y'],
          [
            { name: 'transB', int: 1 },
            { name: 'alpha', float: 0.5 },
          ],
        ),
      ],
      inputs: [valueInfo('a', DataType.FLOAT, ['m', 'k']), valueInfo('b', DataType.FLOAT, ['n', 'k'])],
      outputs: [valueInfo('y', DataType.FLOAT, ['m', 'n'])],
      initializers: [tensor('c', DataType.FLOAT, [2], rawBytes(bias))],
    });
    const session = await ort.InferenceSession.create(bytes);
    const a = new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
    const b = new ort.Tensor('float32', Float32Array.from([1, 0, 1, 0, 1, 0]), [2, 3]);
    const { y } = await session.run({ a, b });
    // 0.5 · a · bᵀ + bias: rows (1+3, 2)/2 and (4+6, 5)/2.
    expect(y.dims).toEqual([2, 2]);
    expect([...(y.data as Float32Array)]).toEqual([3, -1, 6, 0.5]);
    await session.release();
  });

  it('a Transpose with an ints attribute and int64 data', async () => {
    const bytes = model({
      name: 't',
      opset: 13,
      nodes: [node('Transpose', ['x'], ['y'], [{ name: 'perm', ints: [1, 0] }])],
      inputs: [valueInfo('x', DataType.INT64, [2, 3])],
      outputs: [valueInfo('y', DataType.INT64, [3, 2])],
    });
    const session = await ort.InferenceSession.create(bytes);
    const x = new ort.Tensor('int64', BigInt64Array.from([1n, 2n, 3n, 4n, 5n, 6n]), [2, 3]);
    const { y } = await session.run({ x });
    expect([...(y.data as BigInt64Array)].map(Number)).toEqual([1, 4, 2, 5, 3, 6]);
    await session.release();
  });

  it('a string attribute (Pad in reflect mode)', async () => {
    const bytes = model({
      name: 't',
      opset: 13,
      nodes: [node('Pad', ['x', 'pads'], ['y'], [{ name: 'mode', string: 'reflect' }])],
      inputs: [valueInfo('x', DataType.FLOAT, [1, 3])],
      outputs: [valueInfo('y', DataType.FLOAT, [1, 5])],
      initializers: [tensor('pads', DataType.INT64, [4], rawBytes(BigInt64Array.from([0n, 1n, 0n, 1n])))],
    });
    const session = await ort.InferenceSession.create(bytes);
    const { y } = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3]), [1, 3]) });
    expect([...(y.data as Float32Array)]).toEqual([2, 1, 2, 3, 2]);
    await session.release();
  });

  it('a node of another operator set (com.microsoft Gelu), imported by the model', async () => {
    const gelu = (opsets: { domain: string; version: number }[]) =>
      model({
        name: 't',
        opset: 13,
        opsets,
        nodes: [node('Gelu', ['x'], ['y'], [], 'com.microsoft')],
        inputs: [valueInfo('x', DataType.FLOAT, [2])],
        outputs: [valueInfo('y', DataType.FLOAT, [2])],
      });
    const session = await ort.InferenceSession.create(gelu([{ domain: 'com.microsoft', version: 1 }]));
    const { y } = await session.run({ x: new ort.Tensor('float32', Float32Array.from([0, 1]), [2]) });
    const [y0, y1] = y.data as Float32Array;
    expect(y0).toBe(0);
    expect(y1).toBeCloseTo(0.8413447, 5); // x · Φ(x) at 1
    await session.release();
  });
});
