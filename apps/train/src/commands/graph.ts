import path from 'node:path';
import { BACKEND_NAMES, type BackendRequest, useFastestBackend } from '@xclr/backend';
import { defaultCacheDir, loadMnistFamily } from '@xclr/data';
import {
  buildClassGraph,
  buildTopKFile,
  createTextEncoder,
  DEFAULT_TEMPLATES,
  embedTextFile,
  mergeTopKFiles,
  parseTextEncoderName,
  readClassNames,
  resolveShard,
  writeClassGraphFile,
} from '@xclr/graph';
import { progressReporter } from '@xclr/training';
import { type Command, InvalidArgumentError, Option } from 'commander';

/** Commander parsers shared by the commands: a positive integer, a repeatable option. */
export const int = (v: string) => {
  if (/^\d+$/.test(v) && Number(v) >= 1) return Number(v);
  throw new InvalidArgumentError('expected a positive integer');
};
export const collect = (value: string, previous: string[]) => [...previous, value];
const backendOption = () => new Option('--backend <name>', 'tfjs backend').choices([...BACKEND_NAMES]).default('auto');

/** The text encoder named by `--encoder`, on the requested backend when it runs on tfjs (use-lite). */
function checkedEncoder(name: string): () => ReturnType<typeof createTextEncoder> {
  try {
    parseTextEncoderName(name); // fails before any input is read
  } catch (err) {
    throw new Error(`--encoder ${(err as Error).message}`);
  }
  return () => createTextEncoder(name);
}

export interface EmbedOptions {
  input: string;
  textField: string;
  idField?: string;
  encoder: string;
  out: string;
  chunk: number;
  backend: BackendRequest;
  offline?: boolean; // transformers: never reach the network
  device?: 'cpu' | 'webgpu'; // transformers: where onnxruntime runs
  log: (line: string) => void;
  /** Stop after embedding this many new chunks, leaving the parts for a later resume (time-boxed jobs). */
  maxNewChunks?: number;
}

/** `xclr graph embed`: @xclr/graph's resumable, streaming embedTextFile with progress. */
export async function embedCaptions(o: EmbedOptions) {
  checkedEncoder(o.encoder);
  if (parseTextEncoderName(o.encoder).kind === 'use-lite') await useFastestBackend({ backend: o.backend });
  const progress = progressReporter('embed', 'captions');
  const result = await embedTextFile({
    ...o,
    encoder: () => createTextEncoder(o.encoder, { offline: o.offline, device: o.device }),
    encoderName: o.encoder,
    chunkRows: o.chunk,
    onProgress: progress.update,
  });
  if (!result.complete) {
    o.log(`stopped after ${o.maxNewChunks} new chunks; run the same command again to resume`);
    return result;
  }
  progress.done();
  o.log(`embedded ${result.embedded} unique captions of ${result.rows} rows (${result.resumedChunks} chunks resumed) → ${o.out}`);
  return result;
}

/** `xclr graph embed|topk|merge|classes`: caption embeddings and similarity graphs as Arrow files. */
export function addGraphCommands(program: Command, log: (line: string) => void): void {
  const graph = program.command('graph').description('caption embeddings and similarity graphs as Arrow files');
  graph
    .command('embed')
    .description('embed the texts of a JSONL, CSV or Arrow file into an Arrow embeddings file (streaming, resumable)')
    .requiredOption('--input <file>', '.jsonl, .csv or .arrow')
    .option('--text-field <name>', 'field holding the text', 'caption')
    .option('--id-field <name>', 'field holding a stable id (default: the row number)')
    .option('--encoder <name>', 'use-lite (bundled, offline) or transformers:MODEL (hub id or local directory)', 'use-lite')
    .option('--offline', 'transformers: never reach the network (local directory or cache only)')
    .addOption(new Option('--device <name>', 'transformers: run on cpu or webgpu').choices(['cpu', 'webgpu']))
    .requiredOption('--out <file>')
    .option('--chunk <n>', 'captions per resumable chunk', int, 4096)
    .addOption(backendOption())
    .action(async (o) => void (await embedCaptions({ ...o, offline: Boolean(o.offline), log })));
  graph
    .command('topk')
    .description('exact cosine top-k neighbour graph of an embeddings file')
    .requiredOption('--embeddings <file>')
    .requiredOption('--k <k>', 'neighbours per row', int)
    .requiredOption('--out <file>')
    .option('--shard <i/n|auto/n>', 'every n-th block from i (array jobs); auto/n: i from the scheduler')
    .option('--block <rows>', 'query rows per block (the same for every shard of a job)', int, 256)
    .addOption(
      new Option('--engine <name>', 'auto: onnxruntime-node when installed, else tfjs; onnxruntime-webgpu: its WebGPU provider')
        .choices(['auto', 'onnxruntime', 'onnxruntime-webgpu', 'tfjs'])
        .default('auto'),
    )
    .addOption(backendOption())
    .action(async (o) => {
      const shard = o.shard === undefined ? undefined : resolveShard(o.shard, process.env); // auto/n: the scheduler's index
      if (o.engine === 'tfjs') await useFastestBackend({ backend: o.backend });
      const progress = progressReporter('topk', 'rows');
      const { rows, note } = await buildTopKFile({ ...o, shard, onProgress: progress.update });
      progress.done();
      log(`top-${o.k} of ${rows} rows${shard ? ` (shard ${shard.label})` : ''} on ${note} → ${o.out}`);
    });
  graph
    .command('merge <shards...>')
    .description('join the shard files of a top-k array job; refuses an incomplete set')
    .requiredOption('--out <file>')
    .action((shards: string[], o) => {
      mergeTopKFiles(shards, o.out);
      log(`merged ${shards.length} shards → ${o.out}`);
    });
  graph
    .command('classes')
    .description('class-description graph: prompts from templates, averaged per class, class × class similarity')
    .option('--names <file>', 'class names, one per line')
    .addOption(new Option('--dataset <name>', "use a dataset's class descriptions").choices(['fashion-mnist', 'mnist']))
    .option('--templates <template>', 'prompt template with {} (repeatable)', collect, [])
    .requiredOption('--out <file>')
    .addOption(backendOption())
    .action(async (o) => {
      const d = o.dataset ? loadMnistFamily(o.dataset, { split: 'test' }) : undefined;
      if (!d && !o.names) throw new Error('graph classes: give --names FILE (one class per line) or --dataset NAME');
      const names = d ? [...(d.classNames ?? [])] : readClassNames(o.names);
      await useFastestBackend({ backend: o.backend });
      const g = await buildClassGraph(checkedEncoder('use-lite'), names, {
        descriptions: d?.classDescriptions,
        templates: o.templates.length ? o.templates : DEFAULT_TEMPLATES,
        encoderName: 'use-lite',
        cacheDir: defaultCacheDir(),
      });
      writeClassGraphFile(o.out, g);
      const json = `${path.basename(o.out)}.json`;
      log(`${names.length} classes × ${g.templates.length} templates → ${o.out} (+ ${json} with the similarity matrix)`);
    });
}
