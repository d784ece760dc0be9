import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type BarlowTwinsGraphLossOptions,
  type BarlowTwinsLossOptions,
  barlowTwinsDefinition,
  barlowTwinsGraphDefinition,
  barlowTwinsGraphLoss,
  barlowTwinsLoss,
  type ClipLossOptions,
  clipDefinition,
  clipLoss,
  createLoss,
  LOSS_NAMES,
  LOSSES,
  type LossContext,
  type LossName,
  type LossOptions,
  ntXentDefinition,
  ntXentLoss,
  type PairLoss,
  supConDefinition,
  supConLoss,
  type VicregLossOptions,
  vicregDefinition,
  vicregGraphDefinition,
  vicregGraphLoss,
  vicregLoss,
  type XclrLossOptions,
  xclrDefinition,
  xclrLoss,
} from '../src/index.js';
import { expectClose, expectNoLeak, randn, randomSimilarity } from './helpers.js';

const n = 12;
const d = 6;
const labelValues = Array.from({ length: n }, (_, i) => i % 3);
const labels = tf.keep(tf.tensor1d(labelValues, 'int32'));
const similarity = tf.keep(randomSimilarity(n, 5, 11));
const logScale = tf.keep(tf.scalar(Math.log(10)));
const zA = tf.keep(randn(n, d, 1));
const zB = tf.keep(randn(n, d, 2));

type Direct = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Scalar;
interface Case {
  title: string;
  name: LossName;
  byName: () => PairLoss;
  context: LossContext;
  direct: Direct;
}

/** Every name, in several configurations, beside the direct call it must equal. */
const cases: Case[] = [
  {
    title: "xclr, 'all' mode",
    name: 'xclr',
    byName: () => createLoss('xclr', { temperature: 0.2, targetTemperature: 0.05 }),
    context: { similarity },
    direct: (a, b) => xclrLoss(a, b, similarity, { temperature: 0.2, targetTemperature: 0.05 }),
  },
  {
    title: "xclr, 'cross' mode",
    name: 'xclr',
    byName: () => createLoss('xclr', { mode: 'cross' }),
    context: { similarity },
    direct: (a, b) => xclrLoss(a, b, similarity, { mode: 'cross' }),
  },
  {
    title: 'xclr, blocked',
    name: 'xclr',
    byName: () => createLoss('xclr', { blockSize: 5 }),
    context: { similarity },
    direct: (a, b) => xclrLoss(a, b, similarity, { blockSize: 5 }),
  },
  {
    title: 'ntxent',
    name: 'ntxent',
    byName: () => createLoss('ntxent', { temperature: 0.3 }),
    context: {},
    direct: (a, b) => ntXentLoss(a, b, { temperature: 0.3 }),
  },
  {
    title: 'ntxent, no context at all, unnormalised',
    name: 'ntxent',
    byName: () => createLoss('ntxent', { normalize: false }),
    context: undefined as unknown as LossContext,
    direct: (a, b) => ntXentLoss(a, b, { normalize: false }),
  },
  {
    title: 'supcon, int32 tensor labels',
    name: 'supcon',
    byName: () => createLoss('supcon', { temperature: 0.1, baseTemperature: 0.2 }),
    context: { labels },
    direct: (a, b) => supConLoss(a, b, labels, { temperature: 0.1, baseTemperature: 0.2 }),
  },
  {
    title: 'supcon, number[] labels',
    name: 'supcon',
    byName: () => createLoss('supcon'),
    context: { labels: labelValues },
    direct: (a, b) => supConLoss(a, b, labels),
  },
  {
    title: "supcon, Int32Array labels, contrastMode 'one'",
    name: 'supcon',
    byName: () => createLoss('supcon', { contrastMode: 'one' }),
    context: { labels: Int32Array.from(labelValues) },
    direct: (a, b) => supConLoss(a, b, labels, { contrastMode: 'one' }),
  },
  {
    title: 'clip, logitScale from options',
    name: 'clip',
    byName: () => createLoss('clip', { logitScale: 20 }),
    context: {},
    direct: (a, b) => clipLoss(a, b, { logitScale: 20 }),
  },
  {
    title: 'clip, a tf.Scalar logitScale from context overrides options',
    name: 'clip',
    byName: () => createLoss('clip', { logitScale: 20 }),
    context: { logitScale: tf.keep(tf.scalar(7)) },
    direct: (a, b) => clipLoss(a, b, { logitScale: 7 }),
  },
  {
    title: 'vicreg, defaults',
    name: 'vicreg',
    byName: () => createLoss('vicreg'),
    context: {},
    direct: (a, b) => vicregLoss(a, b),
  },
  {
    title: 'vicreg, weights',
    name: 'vicreg',
    byName: () => createLoss('vicreg', { invarianceWeight: 5, varianceWeight: 10, covarianceWeight: 2 }),
    context: undefined as unknown as LossContext,
    direct: (a, b) => vicregLoss(a, b, { invarianceWeight: 5, varianceWeight: 10, covarianceWeight: 2 }),
  },
  {
    title: 'barlow',
    name: 'barlow',
    byName: () => createLoss('barlow', { redundancyWeight: 0.01 }),
    context: {},
    direct: (a, b) => barlowTwinsLoss(a, b, { redundancyWeight: 0.01 }),
  },
  {
    title: 'vicreg-graph, the similarity as G',
    name: 'vicreg-graph',
    byName: () => createLoss('vicreg-graph'),
    context: { similarity },
    direct: (a, b) => vicregGraphLoss(a, b, { similarity }),
  },
  {
    title: 'vicreg-graph, G the row softmax at τ_s',
    name: 'vicreg-graph',
    byName: () => createLoss('vicreg-graph', { targetTemperature: 0.1, invarianceWeight: 10 }),
    context: { similarity },
    direct: (a, b) => vicregGraphLoss(a, b, { similarity, targetTemperature: 0.1, invarianceWeight: 10 }),
  },
  {
    title: 'barlow-graph, G the row softmax at τ_s',
    name: 'barlow-graph',
    byName: () => createLoss('barlow-graph', { targetTemperature: 0.1 }),
    context: { similarity },
    direct: (a, b) => barlowTwinsGraphLoss(a, b, { similarity, targetTemperature: 0.1 }),
  },
];

describe('createLoss(name, options)(zA, zB, context) equals the direct call', () => {
  for (const { title, byName, context, direct } of cases) {
    it(`${title}: value`, () => {
      const viaName = byName()(zA, zB, context);
      const viaFunction = direct(zA, zB);
      expectClose(viaName.dataSync(), viaFunction.dataSync(), 0, 1e-6);
      tf.dispose([viaName, viaFunction]);
    });

    it(`${title}: gradient with respect to zA`, () => {
      const loss = byName();
      const viaName = tf.grad((a: tf.Tensor) => loss(a as tf.Tensor2D, zB, context))(zA);
      const viaFunction = tf.grad((a: tf.Tensor) => direct(a as tf.Tensor2D, zB))(zA);
      expect(tf.max(tf.abs(viaFunction)).dataSync()[0]).toBeGreaterThan(1e-4);
      expectClose(viaName.dataSync(), viaFunction.dataSync(), 0, 1e-6);
      tf.dispose([viaName, viaFunction]);
    });

    it(`${title}: forward and backward leave no tensors behind`, () => {
      const loss = byName();
      expectNoLeak(() => loss(zA, zB, context));
      expectNoLeak(() => {
        const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) =>
          loss(a as tf.Tensor2D, b as tf.Tensor2D, context),
        )([zA, zB]);
        tf.dispose([value, ...grads]);
      });
    });
  }

  it('every name has a case', () => {
    expect(new Set(cases.map((c) => c.name))).toEqual(new Set(LOSS_NAMES));
  });

  it('the CLIP gradient reaches a learnable logit scale given in context', () => {
    const loss = createLoss('clip');
    const g = tf.grad((s: tf.Tensor) => loss(zA, zB, { logitScale: tf.exp(s) as tf.Scalar }))(logScale);
    const direct = tf.grad((s: tf.Tensor) => clipLoss(zA, zB, { logitScale: tf.exp(s) as tf.Scalar }))(logScale);
    expect(Math.abs(g.dataSync()[0])).toBeGreaterThan(1e-3);
    expectClose(g.dataSync(), direct.dataSync(), 0, 1e-6);
    tf.dispose([g, direct]);
  });
});

describe('the registry', () => {
  it('LOSS_NAMES lists every definition of LOSSES, in order', () => {
    expect(LOSS_NAMES).toEqual(['xclr', 'ntxent', 'supcon', 'clip', 'vicreg', 'barlow', 'vicreg-graph', 'barlow-graph']);
    expect(Object.keys(LOSSES)).toEqual([...LOSS_NAMES]);
    expect(Object.isFrozen(LOSS_NAMES)).toBe(true);
    expect(Object.isFrozen(LOSSES)).toBe(true);
    expect(LOSSES.xclr).toBe(xclrDefinition);
    expect(LOSSES.ntxent).toBe(ntXentDefinition);
    expect(LOSSES.supcon).toBe(supConDefinition);
    expect(LOSSES.clip).toBe(clipDefinition);
    expect(LOSSES.vicreg).toBe(vicregDefinition);
    expect(LOSSES.barlow).toBe(barlowTwinsDefinition);
    expect(LOSSES['vicreg-graph']).toBe(vicregGraphDefinition);
    expect(LOSSES['barlow-graph']).toBe(barlowTwinsGraphDefinition);
    for (const name of LOSS_NAMES) {
      expect(LOSSES[name].name).toBe(name);
      expect(LOSSES[name].description.length).toBeGreaterThan(20);
    }
  });

  it('each definition lists the context keys it needs', () => {
    expect(LOSSES.xclr.needs).toEqual(['similarity']);
    expect(LOSSES.ntxent.needs).toEqual([]);
    expect(LOSSES.supcon.needs).toEqual(['labels']);
    expect(LOSSES.clip.needs).toEqual([]);
    expect(LOSSES.vicreg.needs).toEqual([]);
    expect(LOSSES.barlow.needs).toEqual([]);
    expect(LOSSES['vicreg-graph'].needs).toEqual(['similarity']);
    expect(LOSSES['barlow-graph'].needs).toEqual(['similarity']);
  });

  it('a definition creates the same loss as createLoss', () => {
    const a = xclrDefinition.create({ temperature: 0.2 })(zA, zB, { similarity });
    const b = createLoss('xclr', { temperature: 0.2 })(zA, zB, { similarity });
    expect(a.dataSync()[0]).toBe(b.dataSync()[0]);
    tf.dispose([a, b]);
  });

  it('types: the names are a literal tuple, options follow the name', () => {
    expectTypeOf(LOSS_NAMES).toEqualTypeOf<
      readonly ['xclr', 'ntxent', 'supcon', 'clip', 'vicreg', 'barlow', 'vicreg-graph', 'barlow-graph']
    >();
    expectTypeOf<LossName>().toEqualTypeOf<
      'xclr' | 'ntxent' | 'supcon' | 'clip' | 'vicreg' | 'barlow' | 'vicreg-graph' | 'barlow-graph'
    >();
    expectTypeOf<LossOptions['xclr']>().toEqualTypeOf<XclrLossOptions>();
    expectTypeOf<LossOptions['clip']>().toEqualTypeOf<ClipLossOptions>();
    expectTypeOf<LossOptions['vicreg']>().toEqualTypeOf<VicregLossOptions>();
    expectTypeOf<LossOptions['barlow']>().toEqualTypeOf<BarlowTwinsLossOptions>();
    // By name, a graph form's G comes from context.similarity, not from its options.
    expectTypeOf<LossOptions['barlow-graph']>().toEqualTypeOf<Omit<BarlowTwinsGraphLossOptions, 'similarity'>>();
    // @ts-expect-error: NT-Xent has no targetTemperature.
    expect(() => createLoss('ntxent', { targetTemperature: 0.1 })).not.toThrow();
  });

  it('an unknown name throws, listing the valid names', () => {
    const message =
      `createLoss: unknown loss "simclr"; the losses are 'xclr', 'ntxent', 'supcon', 'clip', ` +
      `'vicreg', 'barlow', 'vicreg-graph', 'barlow-graph'`;
    expect(() => createLoss('simclr' as LossName)).toThrow(message);
    expect(() => createLoss('toString' as LossName)).toThrow(/unknown loss "toString"/);
    expect(() => createLoss(undefined as unknown as LossName)).toThrow(/unknown loss undefined/);
  });
});

describe('context', () => {
  it('a missing key throws naming the loss, the key and what it holds', () => {
    const xclr = createLoss('xclr');
    const needsSimilarity =
      "xclr loss needs context.similarity: the [N, N] target similarity of the batch's samples " +
      '(e.g. batchSimilarityFromEmbeddings from @xclr/graph) (N = 12 here)';
    expect(() => xclr(zA, zB)).toThrow(needsSimilarity);
    expect(() => xclr(zA, zB, {})).toThrow(needsSimilarity);
    expect(() => xclr(zA, zB, { labels })).toThrow(needsSimilarity);
    expect(() => xclr(zA, zB, { similarity: undefined })).toThrow(needsSimilarity);

    const supcon = createLoss('supcon');
    const needsLabels =
      'supcon loss needs context.labels: one integer class label per sample: ' +
      'an int32 [N] tf.Tensor1D, an Int32Array or a number[] (N = 12 here)';
    expect(() => supcon(zA, zB)).toThrow(needsLabels);
    expect(() => supcon(zA, zB, { similarity })).toThrow(needsLabels);

    for (const name of ['vicreg-graph', 'barlow-graph'] as const) {
      const loss = createLoss(name);
      expect(() => loss(zA, zB)).toThrow(`${name} loss needs context.similarity: the [N, N] target similarity`);
      expect(() => loss(zA, zB, { labels })).toThrow(`${name} loss needs context.similarity`);
    }
  });

  it('labels of the wrong length or kind throw', () => {
    const supcon = createLoss('supcon');
    expect(() => supcon(zA, zB, { labels: labelValues.slice(1) })).toThrow(
      'supcon loss: context.labels has 11 labels for the 12 samples of zA; pass one label per sample',
    );
    expect(() => supcon(zA, zB, { labels: new Int32Array(13) })).toThrow(/context\.labels has 13 labels for the 12 samples/);
    expect(() => supcon(zA, zB, { labels: tf.tensor1d(labelValues.slice(2), 'int32') })).toThrow(
      'supConLoss: labels must be an int32 [12] tensor (one label per sample), got shape [10]',
    );
    expect(() => supcon(zA, zB, { labels: labelValues.map((l) => l + 0.5) })).toThrow(
      'supcon loss: context.labels must be integers',
    );
  });

  it('an error thrown inside a call leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    expect(() => createLoss('xclr')(zA, zB, { similarity: tf.keep(tf.eye(3)) as tf.Tensor2D })).toThrow(
      'xclrLoss: similarity must be [12, 12] to match the 12 embeddings, got [3, 3]',
    );
    expect(tf.memory().numTensors).toBe(before + 1);
  });

  it('keys a loss does not use are ignored', () => {
    const full: LossContext = { similarity, labels, logitScale: 1 / 0.07 };
    for (const name of LOSS_NAMES) {
      const loss = createLoss(name);
      const needed = Object.fromEntries(LOSSES[name].needs.map((key) => [key, full[key]]));
      const withAll = loss(zA, zB, full);
      const withNeeded = loss(zA, zB, needed);
      expect(withAll.dataSync()[0]).toBe(withNeeded.dataSync()[0]);
      tf.dispose([withAll, withNeeded]);
    }
  });

  it("swapping 'ntxent' for 'xclr' with the identity graph and a tiny target temperature keeps the value", () => {
    const identity = tf.eye(n) as tf.Tensor2D;
    const context: LossContext = { similarity: identity };
    const simclr = createLoss('ntxent', { temperature: 0.1 })(zA, zB, context);
    const xclr = createLoss('xclr', { temperature: 0.1, targetTemperature: 1e-4 })(zA, zB, context);
    expectClose(xclr.dataSync(), simclr.dataSync(), 1e-5);
    tf.dispose([identity, simclr, xclr]);
  });
});
