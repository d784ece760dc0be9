import * as tfl from '@tensorflow/tfjs-layers';
import { batchNormalization } from './batch-normalization-layer.js';
import { conv2d } from './conv2d-layer.js';
import { pooledConv2d } from './pooled-conv2d-layer.js';

/** Image encoders, configured by plain objects (what a run's JSON config holds). */
export type EncoderConfig =
  | { type: 'mlp'; inputShape: [number, number, number]; hidden?: number[]; output?: number }
  | { type: 'convnet'; inputShape: [number, number, number]; filters?: number[]; output?: number }
  | { type: 'resnet18'; inputShape: [number, number, number]; width?: number };

/** Every encoder type, e.g. for a config schema. */
export const ENCODER_TYPES = ['mlp', 'convnet', 'resnet18'] as const satisfies readonly EncoderConfig['type'][];

export interface ProjectionHeadConfig {
  /** Hidden width of the MLP head (SimCLR: the backbone width). */
  hidden: number;
  /** Output (embedding) dimension. */
  output: number;
}

function seeded(seed: number | undefined, k: number) {
  return seed === undefined ? 'glorotUniform' : tfl.initializers.glorotUniform({ seed: seed + k });
}

function heNormal(seed: number | undefined, k: number) {
  return seed === undefined ? 'heNormal' : tfl.initializers.heNormal({ seed: seed + k });
}

/** Output width of an encoder's features. */
export function encoderWidth(config: EncoderConfig): number {
  switch (config.type) {
    case 'mlp':
      return config.output ?? (config.hidden ?? [512, 512]).at(-1)!;
    case 'convnet':
      return config.output ?? 128;
    case 'resnet18':
      return Math.round(512 * (config.width ?? 1));
  }
}

function mlp(config: Extract<EncoderConfig, { type: 'mlp' }>, seed?: number): tfl.LayersModel {
  const input = tfl.input({ shape: config.inputShape });
  let h = tfl.layers.flatten().apply(input) as tfl.SymbolicTensor;
  const hidden = config.hidden ?? [512, 512];
  hidden.forEach((units, k) => {
    h = tfl.layers.dense({ units, activation: 'relu', kernelInitializer: seeded(seed, k) }).apply(h) as tfl.SymbolicTensor;
  });
  if (config.output !== undefined) {
    h = tfl.layers.dense({ units: config.output, kernelInitializer: seeded(seed, hidden.length) }).apply(h) as tfl.SymbolicTensor;
  }
  return tfl.model({ inputs: input, outputs: h, name: 'mlp' });
}

function convnet(config: Extract<EncoderConfig, { type: 'convnet' }>, seed?: number): tfl.LayersModel {
  const input = tfl.input({ shape: config.inputShape });
  let h: tfl.SymbolicTensor = input;
  (config.filters ?? [32, 64]).forEach((filters, k) => {
    h = pooledConv2d({ filters, kernelSize: 3, activation: 'relu', kernelInitializer: heNormal(seed, k) }).apply(
      h,
    ) as tfl.SymbolicTensor;
  });
  h = tfl.layers.flatten().apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.dense({ units: config.output ?? 128, kernelInitializer: seeded(seed, 10) }).apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: h, name: 'convnet' });
}

function convBn(h: tfl.SymbolicTensor, filters: number, kernelSize: number, strides: number, name: string, seed?: number, k = 0) {
  const conv = conv2d({
    filters,
    kernelSize,
    strides,
    padding: 'same',
    useBias: false,
    kernelInitializer: heNormal(seed, k),
    name: `${name}_conv`,
  });
  return batchNormalization({ momentum: 0.9, epsilon: 1e-5, name: `${name}_bn` }).apply(conv.apply(h)) as tfl.SymbolicTensor;
}

function basicBlock(
  x: tfl.SymbolicTensor,
  filters: number,
  strides: number,
  name: string,
  seed?: number,
  k = 0,
): tfl.SymbolicTensor {
  let h = convBn(x, filters, 3, strides, `${name}_a`, seed, k);
  h = tfl.layers.reLU().apply(h) as tfl.SymbolicTensor;
  h = convBn(h, filters, 3, 1, `${name}_b`, seed, k + 1);
  const inFilters = x.shape[3] as number;
  const shortcut = strides !== 1 || inFilters !== filters ? convBn(x, filters, 1, strides, `${name}_proj`, seed, k + 2) : x;
  return tfl.layers.reLU().apply(tfl.layers.add().apply([h, shortcut])) as tfl.SymbolicTensor;
}

/**
 * ResNet-18 with the CIFAR stem (3×3 conv, stride 1, no max-pool), as the SimCLR paper's CIFAR-10
 * experiments; `width` multiplies every stage's channels.
 */
function resnet18(config: Extract<EncoderConfig, { type: 'resnet18' }>, seed?: number): tfl.LayersModel {
  const w = config.width ?? 1;
  const input = tfl.input({ shape: config.inputShape });
  let h = tfl.layers.reLU().apply(convBn(input, Math.round(64 * w), 3, 1, 'stem', seed)) as tfl.SymbolicTensor;
  [64, 128, 256, 512].forEach((channels, stage) => {
    const filters = Math.round(channels * w);
    h = basicBlock(h, filters, stage === 0 ? 1 : 2, `s${stage}b0`, seed, 10 * stage + 1);
    h = basicBlock(h, filters, 1, `s${stage}b1`, seed, 10 * stage + 5);
  });
  h = tfl.layers.globalAveragePooling2d({}).apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: h, name: 'resnet18' });
}

/** Builds an image encoder; `seed` makes its initial weights reproducible. */
export function createEncoder(config: EncoderConfig, seed?: number): tfl.LayersModel {
  switch (config.type) {
    case 'mlp':
      return mlp(config, seed);
    case 'convnet':
      return convnet(config, seed);
    case 'resnet18':
      return resnet18(config, seed);
    default:
      throw new Error(
        `createEncoder: unknown encoder type "${(config as { type: string }).type}"; expected mlp, convnet or resnet18`,
      );
  }
}

/** SimCLR's projection head: dense → batch norm → ReLU → dense. */
export function createProjectionHead(inputDim: number, config: ProjectionHeadConfig, seed?: number): tfl.LayersModel {
  const input = tfl.input({ shape: [inputDim] });
  let h = tfl.layers
    .dense({ units: config.hidden, useBias: false, kernelInitializer: seeded(seed, 100) })
    .apply(input) as tfl.SymbolicTensor;
  h = batchNormalization({}).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.reLU().apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.dense({ units: config.output, kernelInitializer: seeded(seed, 101) }).apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: h, name: 'projection_head' });
}
