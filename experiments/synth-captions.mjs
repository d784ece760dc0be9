#!/usr/bin/env node
// Captions: the synthetic captioned set (Fashion-MNIST objects in a colour on a background; the
// background predicts the class 80% of the time in training). CLIP vs X-CLR (caption graph) vs
// SimCLR with the same MLP encoder, budget and augmentation: kNN and linear probe on object
// classes, and background robustness on the only-fg / mixed-same / mixed-rand splits (the paper's
// ImageNet-9 comparison), beside raw pixels.
//
//   npm run build && node experiments/synth-captions.mjs [--seeds 0] [--encoder convnet] [--version 2]
//
// `--version 2` trains on synth v2 (`data.synth.version=2`: colour, texture, size, position,
// count and background, ≈ 20,000 distinct captions) and adds its attribute probes; its variants
// are named `synth2-*` and go to docs/results/synth-v2-captions.json.
//
// `--taus 0.01,0.03` trains only X-CLR, once per caption-target temperature τ_s (the preset's is
// 0.1; its runs are the plain `synth*-xclr*` variants): variants `synth*-xclr-tau<τ_s>*`. Captions
// that are close in the text encoder's space (synth v2's) give nearly uniform targets at 0.1.
//
// `--encoder convnet` trains the same three with a ConvNet (conv 32, pool, conv 64, pool, dense
// 512) instead of the MLP: translation invariance is what the background test may need. Its
// variants are named `synth-*-convnet`. Writes docs/results/synth-captions.json after every run
// (resumable).
import { arg, meanStd, pct, printTable, runStudy } from './study.mjs';

const encoder = arg('encoder', 'mlp');
if (!['mlp', 'convnet'].includes(encoder)) throw new Error(`--encoder must be mlp or convnet, got ${encoder}`);
const encoderSet =
  encoder === 'convnet' ? ['model.encoder={"type":"convnet","inputShape":[32,32,3],"filters":[32,64],"output":512}'] : [];
const version = Number(arg('version', '1'));
if (![1, 2].includes(version)) throw new Error(`--version must be 1 or 2, got ${version}`);
const versionSet = version === 2 ? ['data.synth={"train":20000,"test":2000,"seed":0,"version":2}'] : [];
const taus = arg('taus', '').split(',').filter(Boolean).map(Number);
if (taus.some((t) => !(t > 0))) throw new Error(`--taus must be positive numbers, got ${arg('taus', '')}`);
const base = (p) => `${version === 2 ? p.replace('synth', 'synth2') : p}`;
const encoderSuffix = encoder === 'mlp' ? '' : `-${encoder}`;
const variants = taus.length
  ? taus.map((t) => ({
      name: `${base('synth-xclr')}-tau${t}${encoderSuffix}`,
      preset: 'synth-xclr',
      set: [...versionSet, ...encoderSet, `loss.targetTemperature=${t}`],
    }))
  : ['synth-clip', 'synth-xclr', 'synth-simclr'].map((p) => ({
      name: `${base(p)}${encoderSuffix}`,
      preset: p,
      set: [...versionSet, ...encoderSet],
    }));
const seeds = arg('seeds', '0').split(',').map(Number);
const out = version === 2 ? 'docs/results/synth-v2-captions.json' : 'docs/results/synth-captions.json';
const runs = runStudy({ out, command: 'node experiments/synth-captions.mjs', variants, seeds });
printTable(runs, variants);
console.log('\nbackground shift (linear top-1 %, same probe; kNN@20 in brackets)');
const splits = ['only-fg', 'mixed-same', 'mixed-rand'];
console.log(`| variant | original | ${splits.join(' | ')} |`);
console.log(`|---|---|${splits.map(() => '---').join('|')}|`);
const row = (name, get) => {
  const rs = runs.filter((r) => r.variant === name).map((r) => r.summary);
  if (!rs.length) return;
  const cell = (lin, knn) => `${pct(meanStd(rs.map(lin)))} (${pct(meanStd(rs.map(knn)))})`;
  console.log(
    `| ${get} | ${cell(
      (s) => s.linearTop1,
      (s) => s.knnTop1,
    )} | ${splits
      .map((sp) =>
        cell(
          (s) => s.splits[sp].linearTop1,
          (s) => s.splits[sp].knnTop1,
        ),
      )
      .join(' | ')} |`,
  );
};
for (const v of variants) row(v.name, v.name);
if (version === 2) {
  console.log(
    '\nattribute probes (linear top-1 %, random 50/50 split of the attributes split; raw pixels and the majority value over the same halves)',
  );
  const kinds = Object.keys(runs.find((r) => r.summary.attributes)?.summary.attributes.encoder ?? {});
  console.log(`| variant | ${kinds.join(' | ')} |`);
  console.log(`|---|${kinds.map(() => '---').join('|')}|`);
  for (const v of variants) {
    const rs = runs.filter((r) => r.variant === v.name && r.summary.attributes).map((r) => r.summary.attributes);
    if (rs.length) console.log(`| ${v.name} | ${kinds.map((k) => pct(meanStd(rs.map((a) => a.encoder[k].top1)))).join(' | ')} |`);
  }
  const all = runs.filter((r) => r.summary.attributes).map((r) => r.summary.attributes);
  if (all.length) {
    const mean = (get) => kinds.map((k) => pct(meanStd(all.map((a) => get(a, k))))).join(' | ');
    console.log(`| raw pixels | ${mean((a, k) => a.baseline[k].top1)} |`);
    console.log(`| majority | ${mean((a, k) => a.encoder[k].majority)} |`);
  }
}
const any = runs[0]?.summary;
if (any) {
  console.log(
    `| raw pixels | ${(100 * any.baselineLinearTop1).toFixed(2)} (${(100 * any.baselineKnnTop1).toFixed(2)}) | ${splits.map((sp) => `${(100 * any.splits[sp].baselineLinearTop1).toFixed(2)} (${(100 * any.splits[sp].baselineKnnTop1).toFixed(2)})`).join(' | ')} |`,
  );
}
