import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

export const CHECKPOINT_FORMAT = 'xclr-checkpoint/1';

export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  /** What the weights belong to (e.g. the model config): must match to load. */
  architecture: unknown;
  versions: Record<string, string>;
  /** Training position, so a run resumes where it stopped. */
  step: number;
  epoch: number;
  /** Anything else the trainer needs to resume exactly (RNG keys, best metric, ...). */
  state: Record<string, unknown>;
  weights: tf.io.WeightsManifestEntry[];
  optimizer: tf.io.WeightsManifestEntry[];
  /** Named tensors beside the weights (`tensors.bin`, e.g. a memory queue); absent when none were saved. */
  tensors?: tf.io.WeightsManifestEntry[];
  savedAt: string;
}

export interface SaveCheckpointOptions {
  architecture: unknown;
  /** Variables in a fixed order (their tfjs names differ between processes, so order identifies them). */
  variables: tf.Variable[];
  optimizer?: tf.Optimizer;
  step: number;
  epoch: number;
  state?: Record<string, unknown>;
  /** Other tensors a resume needs (a memory queue, a momentum encoder), by name; read back with `readCheckpointTensors`. */
  tensors?: Record<string, tf.Tensor>;
  versions?: Record<string, string>;
}

/** Leftovers of saves to `dir` that a crash interrupted: `dir.tmp-*` (new) and `dir.old-*` (previous). */
function siblingsOf(dir: string): string[] {
  const parent = path.dirname(dir);
  const base = path.basename(dir);
  if (!fs.existsSync(parent)) return [];
  return fs
    .readdirSync(parent)
    .filter((f) => f.startsWith(`${base}.tmp-`) || f.startsWith(`${base}.old-`))
    .map((f) => path.join(parent, f));
}

function renameDir(dir: string, tmp: string): void {
  // A directory cannot be renamed over a non-empty one, so the swap takes two renames; a crash
  // between them leaves `dir.old-*` and the complete `tmp`, which `findCheckpoint` falls back to.
  const old = `${dir}.old-${process.pid}-${Date.now()}`;
  const hadOld = fs.existsSync(dir);
  if (hadOld) fs.renameSync(dir, old);
  try {
    fs.renameSync(tmp, dir);
  } catch (err) {
    if (hadOld) fs.renameSync(old, dir);
    throw err;
  }
  // Now that `dir` is complete, every leftover (this swap's and earlier crashed ones') goes.
  for (const leftover of siblingsOf(dir)) fs.rmSync(leftover, { recursive: true, force: true });
}

function completeManifest(dir: string): CheckpointManifest | null {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as CheckpointManifest;
    return manifest.format === CHECKPOINT_FORMAT ? manifest : null;
  } catch {
    return null;
  }
}

/**
 * The directory to load for checkpoint `dir`: `dir` itself when complete, else the newest
 * complete copy a crashed save left beside it (`dir.tmp-*` written in full, or `dir.old-*`
 * moved aside), else null.
 */
export function findCheckpoint(dir: string): string | null {
  if (completeManifest(dir)) return dir;
  let found: { dir: string; step: number; savedAt: string } | null = null;
  for (const candidate of siblingsOf(dir)) {
    const m = completeManifest(candidate);
    if (m && (!found || m.step > found.step || (m.step === found.step && m.savedAt > found.savedAt)))
      found = { dir: candidate, step: m.step, savedAt: m.savedAt };
  }
  return found?.dir ?? null;
}

function positional(prefix: string, tensors: tf.Tensor[]): { name: string; tensor: tf.Tensor }[] {
  return tensors.map((tensor, i) => ({ name: `${prefix}/${i}`, tensor }));
}

/**
 * Saves weights, optimiser state and training position to `dir` atomically (written to a sibling
 * temp directory, then renamed over `dir`). Needs only the filesystem, no tfjs-node.
 */
export async function saveCheckpoint(dir: string, options: SaveCheckpointOptions): Promise<CheckpointManifest> {
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  fs.mkdirSync(tmp, { recursive: true });
  try {
    const weights = await tf.io.encodeWeights(positional('w', options.variables));
    const optimizerWeights = options.optimizer ? await options.optimizer.getWeights() : [];
    const optimizer = await tf.io.encodeWeights(optimizerWeights.map((w, i) => ({ name: `o/${i}/${w.name}`, tensor: w.tensor })));
    fs.writeFileSync(path.join(tmp, 'weights.bin'), new Uint8Array(weights.data));
    fs.writeFileSync(path.join(tmp, 'optimizer.bin'), new Uint8Array(optimizer.data));
    const named = Object.entries(options.tensors ?? {}).map(([name, tensor]) => ({ name, tensor }));
    const tensors = named.length > 0 ? await tf.io.encodeWeights(named) : null;
    if (tensors) fs.writeFileSync(path.join(tmp, 'tensors.bin'), new Uint8Array(tensors.data));
    const manifest: CheckpointManifest = {
      format: CHECKPOINT_FORMAT,
      architecture: options.architecture,
      versions: { '@tensorflow/tfjs-core': tf.version_core, ...options.versions },
      step: options.step,
      epoch: options.epoch,
      state: options.state ?? {},
      weights: weights.specs,
      optimizer: optimizer.specs,
      ...(tensors ? { tensors: tensors.specs } : {}),
      savedAt: new Date().toISOString(),
    };
    fs.writeFileSync(path.join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    renameDir(dir, tmp);
    return manifest;
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

export function readCheckpointManifest(checkpoint: string): CheckpointManifest {
  const dir = findCheckpoint(checkpoint) ?? checkpoint;
  const file = path.join(dir, 'manifest.json');
  if (!fs.existsSync(file)) throw new Error(`${dir}: not a checkpoint (no manifest.json)`);
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as CheckpointManifest;
  if (manifest.format !== CHECKPOINT_FORMAT) {
    throw new Error(`${file}: format "${manifest.format}" is not ${CHECKPOINT_FORMAT}`);
  }
  return manifest;
}

/**
 * The named tensors saved with `saveCheckpoint`'s `tensors` option (`{}` when there are none), as
 * new tensors the caller disposes.
 */
export function readCheckpointTensors(checkpoint: string): tf.NamedTensorMap {
  const dir = findCheckpoint(checkpoint) ?? checkpoint;
  const manifest = readCheckpointManifest(dir);
  if (!manifest.tensors?.length) return {};
  const b = fs.readFileSync(path.join(dir, 'tensors.bin'));
  return tf.io.decodeWeights(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength), manifest.tensors);
}

/** Where two JSON values first differ, as `path: a ≠ b`, or null when equal. */
export function firstDifference(a: unknown, b: unknown, at = 'architecture'): string | null {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return JSON.stringify(a) === JSON.stringify(b) ? null : `${at}: ${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`);
    if (d) return d;
  }
  return null;
}

/**
 * tf.AdamOptimizer keeps β₁ᵗ and β₂ᵗ as running float32 products, but its `setWeights` sets them
 * to one `pow(β, t + 1)`, which differs in the last bits: a resumed run would drift from an
 * uninterrupted one. The running products are recomputed here as the steps computed them.
 */
function restoreAdamPowers(optimizer: tf.AdamOptimizer): void {
  const adam = optimizer as unknown as { beta1: number; beta2: number; accBeta1: tf.Variable; accBeta2: tf.Variable; iterations: number };
  const running = (beta: number) => {
    let acc = Math.fround(beta);
    for (let t = 0; t < adam.iterations; t++) acc = Math.fround(acc * Math.fround(beta));
    return acc;
  };
  tf.tidy(() => {
    adam.accBeta1.assign(tf.scalar(running(adam.beta1)));
    adam.accBeta2.assign(tf.scalar(running(adam.beta2)));
  });
}

/**
 * Loads a checkpoint into `variables` (same order as saved) and the optimiser. Fails with a clear
 * message when the checkpoint was saved for another architecture or another number of variables.
 */
export async function loadCheckpoint(
  checkpoint: string,
  options: { architecture: unknown; variables: tf.Variable[]; optimizer?: tf.Optimizer },
): Promise<CheckpointManifest> {
  const dir = findCheckpoint(checkpoint) ?? checkpoint;
  const manifest = readCheckpointManifest(dir);
  const diff = firstDifference(manifest.architecture, options.architecture);
  if (diff) throw new Error(`${dir}: checkpoint is for another architecture (${diff}); saved vs. requested`);
  if (manifest.weights.length !== options.variables.length) {
    throw new Error(
      `${dir}: checkpoint has ${manifest.weights.length} weight tensors, the model has ${options.variables.length}`,
    );
  }
  const read = (file: string) => {
    const b = fs.readFileSync(path.join(dir, file));
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  };
  const weights = tf.io.decodeWeights(read('weights.bin'), manifest.weights);
  options.variables.forEach((v, i) => {
    const t = weights[`w/${i}`];
    if (t.shape.join() !== v.shape.join()) {
      throw new Error(`${dir}: weight ${i} has shape [${t.shape}], the model's variable ${v.name} has [${v.shape}]`);
    }
    v.assign(t);
  });
  tf.dispose(Object.values(weights));
  if (options.optimizer && manifest.optimizer.length > 0) {
    const decoded = tf.io.decodeWeights(read('optimizer.bin'), manifest.optimizer);
    const list = manifest.optimizer.map((spec) => ({
      name: spec.name.split('/').slice(2).join('/'),
      tensor: decoded[spec.name],
    }));
    await options.optimizer.setWeights(list);
    if (options.optimizer instanceof tf.AdamOptimizer) restoreAdamPowers(options.optimizer);
  }
  return manifest;
}
