import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeRandomEmbeddings } from './helpers/embeddings.js';
import { buildTopKFile, exactTopK, mergeTopKFiles, type ResolvedShard, readTopKFile, resolveShard } from '../src/index.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const child = fileURLToPath(new URL('./fixtures/topk-shard.ts', import.meta.url));

describe('resolveShard', () => {
  it('reads i/n as parseShard does, whatever the environment', () => {
    expect(resolveShard('3/8', { JOB_COMPLETION_INDEX: '5' })).toEqual({ index: 3, count: 8, label: '3/8' });
    expect(() => resolveShard('8/8', {})).toThrow('--shard 8/8: expected i/n with 0 ≤ i < n, e.g. 0/4');
    for (const bad of ['auto', 'auto/', 'x/4', '1/4/2', '-1/4']) {
      expect(() => resolveShard(bad, {})).toThrow(
        `--shard ${bad}: expected i/n with 0 ≤ i < n (e.g. 0/4) or auto/n (e.g. auto/4)`,
      );
    }
    expect(() => resolveShard('auto/0', { JOB_COMPLETION_INDEX: '0' })).toThrow('--shard auto/0: n must be at least 1');
  });

  it('auto/n: a Kubernetes Indexed Job index', () => {
    expect(resolveShard('auto/8', { JOB_COMPLETION_INDEX: '0' })).toEqual({
      index: 0,
      count: 8,
      label: '0/8 from JOB_COMPLETION_INDEX=0',
    });
    expect(resolveShard('auto/8', { JOB_COMPLETION_INDEX: '7' })).toMatchObject({ index: 7, count: 8 });
    expect(() => resolveShard('auto/8', { JOB_COMPLETION_INDEX: '8' })).toThrow(
      '--shard auto/8: JOB_COMPLETION_INDEX=8 is out of range for 8 shards; the Indexed Job needs completions: 8',
    );
    expect(() => resolveShard('auto/8', { JOB_COMPLETION_INDEX: 'two' })).toThrow(
      '--shard auto/8: JOB_COMPLETION_INDEX=two is not a non-negative integer',
    );
  });

  it('auto/n: a Slurm array task, offset by SLURM_ARRAY_TASK_MIN', () => {
    expect(resolveShard('auto/4', { SLURM_ARRAY_TASK_ID: '2' })).toEqual({
      index: 2,
      count: 4,
      label: '2/4 from SLURM_ARRAY_TASK_ID=2',
    });
    // --array=1-4 and --array=100-103 are shards 0..3, as --array=0-3 is.
    const slurm = (id: number, min: number) =>
      resolveShard('auto/4', { SLURM_ARRAY_TASK_ID: `${id}`, SLURM_ARRAY_TASK_MIN: `${min}` });
    expect([1, 2, 3, 4].map((id) => slurm(id, 1).index)).toEqual([0, 1, 2, 3]);
    expect([100, 101, 102, 103].map((id) => slurm(id, 100).index)).toEqual([0, 1, 2, 3]);
    expect(slurm(4, 1).label).toBe('3/4 from SLURM_ARRAY_TASK_ID=4 − SLURM_ARRAY_TASK_MIN=1');
    const full = { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_STEP: '1' };
    expect(resolveShard('auto/4', full)).toMatchObject({ index: 3, count: 4 });
    expect(() => slurm(5, 1)).toThrow(
      '--shard auto/4: SLURM_ARRAY_TASK_ID=5 − SLURM_ARRAY_TASK_MIN=1 = 4 is out of range for 4 shards; the array needs 4 tasks, e.g. --array=0-3',
    );
    expect(() => resolveShard('auto/4', { ...full, SLURM_ARRAY_TASK_COUNT: '1', SLURM_ARRAY_TASK_MIN: '3' })).toThrow(
      "--shard auto/4: the Slurm array has SLURM_ARRAY_TASK_COUNT=1 tasks, not 4; to rerun some tasks, pass each one's index: --shard i/4",
    );
    expect(() => resolveShard('auto/4', { ...full, SLURM_ARRAY_TASK_STEP: '2' })).toThrow(
      '--shard auto/4: SLURM_ARRAY_TASK_STEP=2: the array must be a step-1 range, e.g. --array=0-3',
    );
    expect(() => resolveShard('auto/4', { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_MIN: 'x' })).toThrow(
      'SLURM_ARRAY_TASK_MIN=x is not a non-negative integer',
    );
  });

  it('auto/n: both schedulers set must agree; neither set is an error', () => {
    const both = { JOB_COMPLETION_INDEX: '1', SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_MIN: '1' };
    expect(resolveShard('auto/4', both)).toEqual({ index: 1, count: 4, label: '1/4 from JOB_COMPLETION_INDEX=1' });
    expect(() => resolveShard('auto/4', { ...both, SLURM_ARRAY_TASK_MIN: '0' })).toThrow(
      '--shard auto/4: the schedulers disagree: shard 1/4 from JOB_COMPLETION_INDEX=1, but 2/4 from SLURM_ARRAY_TASK_ID=2 − SLURM_ARRAY_TASK_MIN=0',
    );
    const neither =
      '--shard auto/4: neither JOB_COMPLETION_INDEX (Kubernetes Indexed Job) nor SLURM_ARRAY_TASK_ID (Slurm job array) is set; outside an array job give i/n';
    expect(() => resolveShard('auto/4', {})).toThrow(neither);
    expect(() => resolveShard('auto/4', { JOB_COMPLETION_INDEX: '', SLURM_ARRAY_TASK_ID: '' })).toThrow(neither);
  });
});

describe('a top-k array job on one machine', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-shards-'));
  const [n, dim, k, block, count] = [300, 16, 8, 32, 4];
  const embFile = path.join(dir, 'emb.arrow');
  const embeddings = writeRandomEmbeddings(embFile, n, dim, 11);

  /** Starts one task as an Indexed Job would: JOB_COMPLETION_INDEX=i and no Slurm variables. */
  function task(i: number): Promise<{ code: number | null; out: string; err: string }> {
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('SLURM_')));
    env.JOB_COMPLETION_INDEX = String(i);
    const out = path.join(dir, `topk-${i}.arrow`);
    const proc = spawn(
      process.execPath,
      ['--conditions=@xclr/source', '--import', 'tsx', child, embFile, out, `${k}`, `${block}`, `${count}`],
      {
        cwd: packageDir,
        env,
      },
    );
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => {
      stdout += d;
    });
    proc.stderr.on('data', (d) => {
      stderr += d;
    });
    return new Promise((resolve) => proc.on('close', (code) => resolve({ code, out: stdout, err: stderr })));
  }

  it('4 concurrent auto/4 processes merge into the unsharded graph', { timeout: 180_000 }, async () => {
    const results = await Promise.all(Array.from({ length: count }, (_, i) => task(i)));
    for (const r of results) expect(r.code, r.err).toBe(0);
    const reports = results.map((r) => JSON.parse(r.out) as { shard: ResolvedShard; rows: number; start: number; end: number });
    expect(reports.map((r) => r.shard.label)).toEqual([0, 1, 2, 3].map((i) => `${i}/4 from JOB_COMPLETION_INDEX=${i}`));
    // 10 blocks of 32 rows (the last 12): shards 0 and 1 take 3 blocks (1 the short last one), 2 and 3 take 2.
    expect(reports.map((r) => r.rows)).toEqual([96, 64 + 12, 64, 64]);
    // All four were alive at once: the last to start started before the first to end ended.
    expect(Math.max(...reports.map((r) => r.start))).toBeLessThan(Math.min(...reports.map((r) => r.end)));
    const files = fs.readdirSync(dir).filter((f) => /^topk-\d+\.arrow$/.test(f));
    expect(files).toHaveLength(count);
    const merged = path.join(dir, 'topk.arrow');
    mergeTopKFiles(
      files.map((f) => path.join(dir, f)),
      merged,
    );
    const g = readTopKFile(merged);
    const expected = await exactTopK(embeddings, dim, 'emb.arrow', { k, blockRows: block });
    expect(g.source).toBe('emb.arrow');
    expect(Array.from(g.neighbors)).toEqual(Array.from(expected.neighbors));
    expect(Array.from(g.scores)).toEqual(Array.from(expected.scores));
  });

  it('buildTopKFile resolves auto/n from its env option and says which shard it ran', async () => {
    const out = path.join(dir, 'slurm-1.arrow');
    const env = { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '4' };
    const r = await buildTopKFile({ embeddings: embFile, k, out, block, shard: 'auto/4', env, engine: 'tfjs' });
    expect(r.shard).toEqual({ index: 1, count: 4, label: '1/4 from SLURM_ARRAY_TASK_ID=2 − SLURM_ARRAY_TASK_MIN=1' });
    expect(r.rows).toBe(64 + 12);
    await expect(buildTopKFile({ embeddings: embFile, k, out, shard: 'auto/4', env: {} })).rejects.toThrow(
      'neither JOB_COMPLETION_INDEX',
    );
    const given = await buildTopKFile({ embeddings: embFile, k, out, block, shard: { index: 1, count: 4 }, engine: 'tfjs' });
    expect(given.shard).toEqual({ index: 1, count: 4, label: '1/4' });
  });
});

describe('deploy/ job files', () => {
  const read = (file: string) => fs.readFileSync(fileURLToPath(new URL(`../../../deploy/${file}`, import.meta.url)), 'utf8');

  it('the Kubernetes Indexed Job and the Slurm array agree with their --shard auto/n and merge', () => {
    const job = read('kubernetes/topk-indexed-job.yaml');
    const n = Number(/auto\/(\d+)/.exec(job)?.[1]);
    expect(job).toMatch(/completionMode: Indexed/);
    expect(job).toMatch(new RegExp(`completions: ${n}\\b`));
    expect(job).toMatch(new RegExp(`parallelism: ${n}\\b`));
    expect(job).toContain('/data/topk-$(JOB_COMPLETION_INDEX).arrow');
    expect(read('kubernetes/topk-merge-job.yaml')).toContain('xclr graph merge /data/topk-[0-9]*.arrow --out /data/topk.arrow');
    const slurm = read('slurm/topk-array.sh');
    expect(slurm).toContain('#SBATCH --array=0-7');
    expect(slurm).toContain('--shard auto/8');
    expect(slurm).toContain('$(seq 0 7)');
    expect(slurm).toContain('--dependency=afterok:');
  });
});
