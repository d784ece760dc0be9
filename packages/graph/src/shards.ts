import { parseShard } from './topk.js';

/** An array job's share, with where its index came from. */
export interface ResolvedShard {
  index: number;
  count: number;
  /** For logs: `3/8`, `3/8 from JOB_COMPLETION_INDEX=3`, `3/8 from SLURM_ARRAY_TASK_ID=4 − SLURM_ARRAY_TASK_MIN=1`. */
  label: string;
}

/** The environment variables `resolveShard` reads (any other keys are ignored). */
export type ShardEnv = Readonly<Record<string, string | undefined>>;

const K8S = 'JOB_COMPLETION_INDEX';
const SLURM = 'SLURM_ARRAY_TASK_ID';

/**
 * Resolves `--shard`: `i/n` as `parseShard` reads it, or `auto/n`, whose index comes from the
 * scheduler that started this task:
 *
 * - Kubernetes Indexed Job: `JOB_COMPLETION_INDEX` (0 … completions − 1), so `completions: n`.
 * - Slurm job array: `SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN` (0 when MIN is unset), so
 *   `--array=0-7` and `--array=1-8` both give 0 … 7. The array must be the whole job, a step-1
 *   range of n tasks: where Slurm sets `SLURM_ARRAY_TASK_COUNT` it must be n and
 *   `SLURM_ARRAY_TASK_STEP` must be 1. To rerun one failed task, pass its index: `--shard 3/8`.
 *
 * Errors name the variables: neither set, not an integer, out of range for n, or both set and
 * disagreeing. An empty variable counts as unset.
 */
export function resolveShard(spec: string, env: ShardEnv = process.env): ResolvedShard {
  const auto = /^auto\/(\d+)$/.exec(spec);
  if (!auto) {
    if (!/^\d+\/\d+$/.test(spec))
      throw new Error(`--shard ${spec}: expected i/n with 0 ≤ i < n (e.g. 0/4) or auto/n (e.g. auto/4)`);
    const { index, count } = parseShard(spec);
    return { index, count, label: `${index}/${count}` };
  }
  const count = Number(auto[1]);
  const fail = (why: string) => new Error(`--shard ${spec}: ${why}`);
  if (count < 1) throw fail('n must be at least 1');
  const int = (name: string) => {
    const text = env[name] ?? '';
    if (!/^\d+$/.test(text)) throw fail(`${name}=${text} is not a non-negative integer`);
    return Number(text);
  };
  const set = (name: string) => (env[name] ?? '') !== '';
  const found: ResolvedShard[] = [];
  if (set(K8S)) {
    const index = int(K8S);
    if (index >= count)
      throw fail(`${K8S}=${index} is out of range for ${count} shards; the Indexed Job needs completions: ${count}`);
    found.push({ index, count, label: `${index}/${count} from ${K8S}=${index}` });
  }
  if (set(SLURM)) {
    const id = int(SLURM);
    const min = set('SLURM_ARRAY_TASK_MIN') ? int('SLURM_ARRAY_TASK_MIN') : 0;
    const index = id - min;
    const from = `${SLURM}=${id}${set('SLURM_ARRAY_TASK_MIN') ? ` − SLURM_ARRAY_TASK_MIN=${min}` : ''}`;
    if (set('SLURM_ARRAY_TASK_COUNT') && int('SLURM_ARRAY_TASK_COUNT') !== count) {
      throw fail(
        `the Slurm array has SLURM_ARRAY_TASK_COUNT=${env.SLURM_ARRAY_TASK_COUNT} tasks, not ${count}; to rerun some tasks, pass each one's index: --shard i/${count}`,
      );
    }
    if (set('SLURM_ARRAY_TASK_STEP') && int('SLURM_ARRAY_TASK_STEP') !== 1) {
      throw fail(
        `SLURM_ARRAY_TASK_STEP=${env.SLURM_ARRAY_TASK_STEP}: the array must be a step-1 range, e.g. --array=0-${count - 1}`,
      );
    }
    if (index < 0 || index >= count) {
      throw fail(
        `${from} = ${index} is out of range for ${count} shards; the array needs ${count} tasks, e.g. --array=0-${count - 1}`,
      );
    }
    found.push({ index, count, label: `${index}/${count} from ${from}` });
  }
  if (found.length === 0) {
    throw fail(`neither ${K8S} (Kubernetes Indexed Job) nor ${SLURM} (Slurm job array) is set; outside an array job give i/n`);
  }
  if (found.length === 2 && found[0].index !== found[1].index) {
    throw fail(`the schedulers disagree: shard ${found[0].label}, but ${found[1].label}`);
  }
  return found[0];
}
