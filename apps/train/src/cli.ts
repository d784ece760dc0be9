#!/usr/bin/env node
import { failIfUnfinished, relaunchWithMallocTuning } from '@xclr/process';

// glibc's malloc settings and V8's heap flags (see @xclr/process) need a relaunch; only the child imports the program.
const command = (relaunchWithMallocTuning() ?? import('./program.js').then((p) => p.main(process.argv.slice(2)))).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`xclr: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
failIfUnfinished(command, 'xclr');
