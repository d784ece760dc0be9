import type { ImageDataset } from './dataset.js';
import { Rng } from './rng.js';

/**
 * Indices of a class-balanced subset with `fraction` of each class (at least one image per class),
 * the same for a given seed: the data-efficiency experiments train on 1 %, 10 %, 100 %.
 */
export function classBalancedSubset(dataset: ImageDataset, fraction: number, seed = 0): Int32Array {
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`classBalancedSubset: fraction must be in (0, 1], got ${fraction}`);
  if (!dataset.labels) throw new Error(`classBalancedSubset: ${dataset.name} has no labels`);
  if (fraction === 1) return Int32Array.from({ length: dataset.size }, (_, i) => i);
  const byClass = new Map<number, number[]>();
  dataset.labels.forEach((label, i) => {
    const list = byClass.get(label);
    if (list) list.push(i);
    else byClass.set(label, [i]);
  });
  const chosen: number[] = [];
  for (const [label, indices] of [...byClass.entries()].sort((a, b) => a[0] - b[0])) {
    const order = new Rng(seed, 0x5b5e7, label).shuffle(Int32Array.from(indices));
    chosen.push(...order.subarray(0, Math.max(1, Math.round(indices.length * fraction))));
  }
  return Int32Array.from(chosen.sort((a, b) => a - b));
}
