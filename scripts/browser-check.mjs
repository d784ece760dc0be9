#!/usr/bin/env node
// A real browser check: bundles examples/browser (esbuild, the packages' built dist/ as a user's
// bundler resolves them), serves it on 127.0.0.1 and opens it in headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core), where it trains X-CLR for a few steps on random
// images with @xclr/losses + @xclr/models on tfjs's cpu backend and scores the features with
// @xclr/eval's kNN. Checks that the loss is finite and went down and that kNN gave an accuracy;
// saves a screenshot and prints its path. Skipped, with the reason, without /usr/bin/chromium
// (exit 0). Exits 1 if the check fails.
//
//   node scripts/browser-check.mjs          (npm run check:browser)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const example = path.join(root, 'examples/browser');
const chromiumPath = '/usr/bin/chromium';
const started = Date.now();
const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

if (!fs.existsSync(chromiumPath)) {
  console.log(`browser-check: skipped: ${chromiumPath} not found (Debian's chromium package: apt-get install chromium)`);
  process.exit(0);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-browser-check-'));
const site = path.join(tmp, 'site');
const profile = path.join(tmp, 'profile');
const shots = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-browser-shot-'));
let server;
let context;

function fail(message) {
  console.log(`browser-check: FAILED in ${seconds()}: ${message}`);
  process.exitCode = 1;
}

try {
  // 1. What is bundled is each package's dist/: build the three (turbo, cached).
  const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };
  const filters = ['@xclr/losses', '@xclr/models', '@xclr/eval'].map((p) => `--filter=${p}`);
  const build = spawnSync(path.join(root, 'node_modules/.bin/turbo'), ['run', 'build', ...filters, '--output-logs=errors-only'], {
    cwd: root,
    env,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`turbo run build failed:\n${build.stdout}${build.stderr}`);

  // 2. Bundle the page for browsers.
  const esbuild = await import('esbuild');
  fs.mkdirSync(site, { recursive: true });
  const bundled = await esbuild.build({
    entryPoints: [path.join(example, 'main.js')],
    outfile: path.join(site, 'main.js'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    metafile: true,
    logLevel: 'error',
  });
  fs.copyFileSync(path.join(example, 'index.html'), path.join(site, 'index.html'));
  const bytes = bundled.metafile.outputs[path.relative(process.cwd(), path.join(site, 'main.js'))]?.bytes;
  console.log(`browser-check: bundled examples/browser (${bytes ? `${(bytes / 1024).toFixed(0)} KiB, ` : ''}${seconds()})`);

  // 3. Serve it on 127.0.0.1.
  const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };
  server = http.createServer((req, res) => {
    const name = new URL(req.url, 'http://127.0.0.1').pathname.replace(/^\/$/, '/index.html');
    const file = path.join(site, path.normalize(name));
    if (!file.startsWith(site + path.sep) || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/`;

  // 4. Headless Chromium, a fresh profile, nothing reached but the page.
  const { chromium } = await import('playwright-core');
  context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 800, height: 600 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const logs = [];
  page.on('console', (m) => logs.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`page error: ${e.message}`));
  const version = context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent));
  await page.goto(url);
  await page.waitForFunction(() => document.title === 'done' || document.title === 'failed', null, { timeout: 180_000 });
  const result = JSON.parse(await page.locator('#result').textContent());
  const screenshot = path.join(shots, 'browser-check.png');
  await page.screenshot({ path: screenshot, fullPage: true });

  // 5. What the page reports.
  const problems = [];
  if (result.error) problems.push(`the page failed: ${result.error}`);
  else {
    if (!Array.isArray(result.loss) || !result.loss.length || !result.loss.every(Number.isFinite))
      problems.push(`non-finite loss: ${JSON.stringify(result.loss)}`);
    else if (!(result.lossLast < result.lossFirst))
      problems.push(`the loss did not go down: ${result.lossFirst} -> ${result.lossLast}`);
    const knn = Object.values(result.knn ?? {});
    if (!knn.length || !knn.every((a) => typeof a === 'number' && a >= 0 && a <= 1))
      problems.push(`no kNN accuracy: ${JSON.stringify(result.knn)}`);
  }
  if (problems.length) fail(`${problems.join('; ')}\n${logs.join('\n')}`);
  else
    console.log(
      `browser-check: ok: Chromium ${version}, tfjs ${result.tfjs} ${result.backend}: X-CLR loss ${result.lossFirst.toFixed(4)} -> ${result.lossLast.toFixed(4)} in ${result.steps} steps, kNN top-1 on held-out images ${Object.entries(
        result.knn,
      )
        .map(([k, a]) => `${(100 * a).toFixed(1)}% (k=${k})`)
        .join(', ')}; ${result.milliseconds} ms in the page, ${seconds()} in all`,
    );
  console.log(`browser-check: screenshot ${screenshot}`);
} catch (err) {
  fail(err instanceof Error ? (err.stack ?? err.message) : String(err));
} finally {
  await context?.close().catch(() => {});
  server?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}
