#!/usr/bin/env node
// The `xclr` bin: a committed shim, so npm links it at install time even before `dist/` is built
// (in this monorepo `npm ci` links bins first and builds in `prepare`).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (existsSync(cli)) await import(cli.href);
else {
  process.stderr.write('xclr: dist/cli.js is not built yet: run `npm run build` at the repository root\n');
  process.exitCode = 1;
}
