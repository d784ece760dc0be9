import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe } from 'vitest';
import { useWasmKernels } from '../backends.js';
import { comparisonTests } from '../comparisons.js';

// GreaterEqual on wasm (broadcasting by strides) against tfjs's cpu backend.
beforeAll(useWasmKernels);

describe('GreaterEqual on wasm matches cpu', () => comparisonTests(tf.greaterEqual));
