#!/usr/bin/env node
import { relaunchWithMallocTuning } from '@xclr/backend/relaunch';

// Training runs faster with glibc's malloc thresholds fixed (see @xclr/backend's README); the
// program is imported only by the process that runs it, not by a relaunching parent.
(relaunchWithMallocTuning() ?? import('./program.js').then((p) => p.main(process.argv.slice(2)))).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`xclr: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
