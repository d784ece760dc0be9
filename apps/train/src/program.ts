import { BACKEND_NAMES, type BackendRequest, describeEnvironment, installedVersion, useFastestBackend } from '@xclr/backend';
import { describeDataSources, writeSynthSplits } from '@xclr/data';
import { describeTextEncoders } from '@xclr/graph';
import { Command, CommanderError, Option } from 'commander';
import { type EvalKind, evalCommand } from './commands/eval.js';
import { addGraphCommands, collect, int } from './commands/graph.js';
import { Stopped, trainCommand } from './commands/train.js';
import { ConfigError, resolveConfig } from './config/overrides.js';
import { DEFAULT_PRESET, PRESETS } from './config/presets.js';
import { writeRunReport } from './run/run-dir.js';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

const defaultIo: Io = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };

/** Where the `--set` keys are listed, for the help of the commands that take `--set`. */
const SET_KEYS_HELP =
  '\n--set takes any field of the run config by its dotted path; `xclr config print [--preset NAME]` lists them.';

function buildProgram(io: Io): Command {
  const program = new Command('xclr')
    .description('X-Sample Contrastive learning (X-CLR) for TensorFlow.js: train, build graphs, evaluate, report')
    .version(installedVersion('@xclr/train'), '-V, --version', 'print the version of xclr')
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
    .addHelpText('after', SET_KEYS_HELP)
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
    ['similarity', 'learned vs caption similarity by value of the object and of each attribute (captioned data)'],
  ] as const) {
    const command = evaluate
      .command(`${kind} <runDir>`)
      .description(what)
      .addOption(
        new Option('--checkpoint <name>', 'which checkpoint (default: best if saved, else last)').choices(['best', 'last']),
      );
    if (kind === 'similarity')
      command.option('--split <name>', 'the split (default: attributes when the data has it, else test)');
    command
      .option('--json', 'print one JSON object')
      .action(
        async (runDir: string, o) =>
          void (await evalCommand(kind as EvalKind, runDir, { ...o, json: Boolean(o.json), out: io.out, log: io.err })),
      );
  }

  addGraphCommands(program, io.err);

  program
    .command('data')
    .description('datasets')
    .command('synth')
    .description('write the synthetic captioned disambiguation set as WebDataset shards')
    .requiredOption('--out <dir>')
    .option('--train <n>', 'training samples', int, 20000)
    .option('--test <n>', 'samples per test split', int, 2000)
    .option('--seed <n>', 'seed', (v) => Number.parseInt(v, 10), 0)
    .option('--shard-size <n>', 'samples per tar shard', int, 1000)
    .option('--size <n>', 'side of the square images (default 32; 64 and more work)', int, 32)
    .option('--synth-version <n>', '1, or 2: synth v2 (texture, size, position, count; an attributes split)', int, 1)
    .action((o) => writeSynthSplits({ ...o, trainCount: o.train, testCount: o.test, version: o.synthVersion, log: io.err }));

  const config = program.command('config').description('inspect run configurations');
  config
    .command('print')
    .description('print the resolved config of a preset or file with overrides: every key --set takes, with its value')
    .option('--preset <name>', `preset (default: ${DEFAULT_PRESET}): ${Object.keys(PRESETS).join(', ')}`)
    .option('--config <file>', 'JSON or YAML run config (instead of a preset)')
    .option('--set <key=value>', 'override a config field (repeatable), e.g. --set train.epochs=3', collect, [])
    .action((opts) => io.out(JSON.stringify(resolveConfig(opts), null, 2)));

  program
    .command('env')
    .description('versions, backend, cores and offline assets, for bug reports')
    .addOption(new Option('--backend <name>', 'backend to try').choices([...BACKEND_NAMES]).default('auto'))
    .action(async (opts) => {
      const backend = await useFastestBackend({ backend: opts.backend as BackendRequest });
      const lines = [`xclr ${installedVersion('@xclr/train')}`, ...describeEnvironment(backend), ...describeTextEncoders()];
      io.out([...lines, ...describeDataSources()].join('\n'));
    });

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
