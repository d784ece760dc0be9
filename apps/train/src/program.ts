import { Command, CommanderError, Option } from 'commander';
import { BACKEND_NAMES, type BackendRequest } from '@xclr/backend';
import { ConfigError, resolveConfig } from './config/overrides.js';
import { PRESETS } from './config/presets.js';
import { writeSynthSplits } from '@xclr/data';
import { envReport } from './commands/env.js';
import { type EvalKind, evalCommand } from './commands/eval.js';
import { classesCommand, embedCaptions, mergeCommand, topkCommand } from './commands/graph.js';
import { Stopped, trainCommand } from './commands/train.js';
import { writeRunReport } from './run/report.js';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

const defaultIo: Io = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function buildProgram(io: Io): Command {
  const program = new Command('xclr')
    .description('X-Sample Contrastive learning (X-CLR) for TensorFlow.js: train, build graphs, evaluate, report')
    .option('--debug', 'print stack traces on errors')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  program
    .command('train')
    .description('train an encoder (default: the fmnist-xclr preset) and evaluate it')
    .option('--preset <name>', `preset: ${Object.keys(PRESETS).join(', ')}`)
    .option('--config <file>', 'JSON or YAML run config')
    .option('--set <key=value>', 'override a config field (repeatable), e.g. --set train.epochs=3', collect, [])
    .option('--runs-dir <dir>', 'where run directories are created', 'runs')
    .option('--resume <runDir>', 'continue an interrupted run exactly where it stopped')
    .addOption(new Option('--backend <name>', 'tfjs backend (same as --set backend.name=NAME)').choices([...BACKEND_NAMES]))
    .action(async (opts) => {
      const set = [...opts.set, ...(opts.backend ? [`backend.name=${opts.backend}`] : [])];
      const config = opts.resume ? null : resolveConfig({ preset: opts.preset, config: opts.config, set });
      await trainCommand(config, { runsDir: opts.runsDir, resume: opts.resume, set, out: io.out, log: io.err });
    });

  program
    .command('report <runDir>')
    .description("render a run directory's plots (plots/*.svg, *.png) and report.html")
    .action(async (runDir: string) => io.out(await writeRunReport(runDir)));

  const evaluate = program.command('eval').description("evaluate a trained run's encoder from its checkpoint");
  for (const [kind, what] of [
    ['knn', 'weighted kNN top-1 at each eval.knnK on the test set (and extra test splits)'],
    ['linear', 'linear probe (validation-selected weight decay and step) on frozen features'],
    ['retrieval', "image ↔ caption recall@1/5/10 through the run's text tower (CLIP runs)"],
  ] as const) {
    evaluate
      .command(`${kind} <runDir>`)
      .description(what)
      .addOption(
        new Option('--checkpoint <name>', 'which checkpoint (default: best if saved, else last)').choices(['best', 'last']),
      )
      .option('--json', 'print one JSON object')
      .action(async (runDir: string, o) => {
        await evalCommand(kind as EvalKind, runDir, {
          checkpoint: o.checkpoint,
          json: Boolean(o.json),
          out: io.out,
          log: io.err,
        });
      });
  }

  const graph = program.command('graph').description('caption embeddings and similarity graphs as Arrow files');
  const backendOption = () => new Option('--backend <name>', 'tfjs backend').choices([...BACKEND_NAMES]).default('auto');
  graph
    .command('embed')
    .description('embed the texts of a JSONL, CSV or Arrow file into an Arrow embeddings file (streaming, resumable)')
    .requiredOption('--input <file>', '.jsonl, .csv or .arrow')
    .option('--text-field <name>', 'field holding the text', 'caption')
    .option('--id-field <name>', 'field holding a stable id (default: the row number)')
    .option('--encoder <name>', 'use-lite (bundled, offline) or transformers:MODEL (hub id or local directory)', 'use-lite')
    .option('--offline', 'transformers: never reach the network (local directory or cache only)')
    .requiredOption('--out <file>')
    .option('--chunk <n>', 'captions per resumable chunk', (v) => Number.parseInt(v, 10), 4096)
    .addOption(backendOption())
    .action(async (o) => {
      await embedCaptions({
        input: o.input,
        textField: o.textField,
        idField: o.idField,
        encoder: o.encoder,
        out: o.out,
        chunk: o.chunk,
        backend: o.backend,
        offline: Boolean(o.offline),
        log: io.err,
      });
    });
  graph
    .command('topk')
    .description('exact cosine top-k neighbour graph of an embeddings file')
    .requiredOption('--embeddings <file>')
    .requiredOption('--k <k>', 'neighbours per row', (v) => Number.parseInt(v, 10))
    .requiredOption('--out <file>')
    .option('--shard <i/n>', 'compute every n-th block starting at i (array jobs)')
    .option('--block <rows>', 'query rows per block (the same for every shard of a job)', (v) => Number.parseInt(v, 10), 256)
    .addOption(
      new Option('--engine <name>', 'auto: onnxruntime-node when installed, else tfjs')
        .choices(['auto', 'onnxruntime', 'tfjs'])
        .default('auto'),
    )
    .addOption(backendOption())
    .action(async (o) =>
      topkCommand({
        embeddings: o.embeddings,
        k: o.k,
        out: o.out,
        shard: o.shard,
        block: o.block,
        engine: o.engine,
        backend: o.backend,
        log: io.err,
      }),
    );
  graph
    .command('merge <shards...>')
    .description('join the shard files of a top-k array job; refuses an incomplete set')
    .requiredOption('--out <file>')
    .action((shards: string[], o) => mergeCommand({ shards, out: o.out, log: io.err }));
  graph
    .command('classes')
    .description('class-description graph: prompts from templates, averaged per class, class × class similarity')
    .option('--names <file>', 'class names, one per line')
    .addOption(new Option('--dataset <name>', "use a dataset's class descriptions").choices(['fashion-mnist', 'mnist']))
    .option('--templates <template>', 'prompt template with {} (repeatable)', collect, [])
    .requiredOption('--out <file>')
    .addOption(backendOption())
    .action(async (o) =>
      classesCommand({ names: o.names, dataset: o.dataset, templates: o.templates, out: o.out, backend: o.backend, log: io.err }),
    );

  program
    .command('data')
    .description('datasets')
    .command('synth')
    .description('write the synthetic captioned disambiguation set as WebDataset shards')
    .requiredOption('--out <dir>')
    .option('--train <n>', 'training samples', (v) => Number.parseInt(v, 10), 20000)
    .option('--test <n>', 'samples per test split', (v) => Number.parseInt(v, 10), 2000)
    .option('--seed <n>', 'seed', (v) => Number.parseInt(v, 10), 0)
    .option('--shard-size <n>', 'samples per tar shard', (v) => Number.parseInt(v, 10), 1000)
    .action((o) =>
      writeSynthSplits({ out: o.out, trainCount: o.train, testCount: o.test, seed: o.seed, shardSize: o.shardSize, log: io.err }),
    );

  const config = program.command('config').description('inspect run configurations');
  config
    .command('print')
    .description('print the resolved config of a preset or file with overrides')
    .option('--preset <name>')
    .option('--config <file>')
    .option('--set <key=value>', 'override a field (repeatable)', collect, [])
    .action((opts) =>
      io.out(JSON.stringify(resolveConfig({ preset: opts.preset, config: opts.config, set: opts.set }), null, 2)),
    );

  program
    .command('env')
    .description('versions, backend, cores and offline assets, for bug reports')
    .addOption(new Option('--backend <name>', 'backend to try').choices([...BACKEND_NAMES]).default('auto'))
    .action(async (opts) => io.out(await envReport(opts.backend as BackendRequest)));

  return program;
}

/**
 * Runs the CLI with `argv` (without node and script); returns the exit code. Errors print one
 * clear line (a stack trace only with --debug).
 */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const program = buildProgram(io);
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof Stopped) return err.code;
    if (debug) io.err((err as Error).stack ?? String(err));
    else io.err(`xclr: ${err instanceof ConfigError ? 'config error: ' : ''}${(err as Error).message}`);
    return err instanceof ConfigError ? 2 : 1;
  }
}
