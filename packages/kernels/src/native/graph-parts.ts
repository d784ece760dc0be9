import { DataType, type Field, node, rawBytes, tensor } from '@xclr/onnx-proto';

// Pieces the native engine's generated ONNX graphs share.

/** An int64 initializer (shapes, axes, pads). */
export const int64s = (name: string, values: number[]): Field =>
  tensor(name, DataType.INT64, [values.length], rawBytes(BigInt64Array.from(values.map(BigInt))));

/**
 * A filter [fh, fw, …] with its taps reversed (Slice with step −1 on both spatial axes): the
 * filter of a convolution's input gradient, before its channels are swapped.
 */
export function flipTaps(input: string, output: string): { nodes: Field[]; initializers: Field[] } {
  const name = (part: string) => `${output}_${part}`;
  return {
    nodes: [node('Slice', [input, name('starts'), name('ends'), name('axes'), name('steps')], [output])],
    initializers: [
      int64s(name('starts'), [-1, -1]),
      int64s(name('ends'), [Number.MIN_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]),
      int64s(name('axes'), [0, 1]),
      int64s(name('steps'), [-1, -1]),
    ],
  };
}

/** onnxruntime's contributed operators (FusedMatMul, …): a graph using them imports this domain. */
export const MICROSOFT_DOMAIN = 'com.microsoft';
