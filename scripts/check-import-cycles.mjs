#!/usr/bin/env node
// Fails when the relative imports under a source folder form a cycle, between files or between
// its top-level folders (a file directly in the folder counts as its own folder).
//   node scripts/check-import-cycles.mjs packages/kernels/src
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(process.argv[2] ?? 'src');
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

function sources(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The source file an import specifier points at (`./a.js` is written for `./a.ts`). */
function resolve(from, spec) {
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return null;
}

const unit = (file) => {
  const rel = path.relative(root, file).split(path.sep);
  return rel.length > 1 ? `${rel[0]}/` : rel[0];
};

/** The cycles of a graph (Map<node, Set<node>>), each as a path that returns to its start. */
function cycles(graph) {
  const found = [];
  const state = new Map(); // 1: on the stack, 2: done
  const stack = [];
  const visit = (n) => {
    state.set(n, 1);
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === 1) found.push([...stack.slice(stack.indexOf(m)), m]);
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of graph.keys()) if (!state.has(n)) visit(n);
  return found;
}

const files = new Map();
const folders = new Map();
for (const file of sources(root)) {
  const text = fs.readFileSync(file, 'utf8');
  const targets = [...text.matchAll(IMPORT)].map((m) => resolve(file, m[1] ?? m[2])).filter(Boolean);
  files.set(file, new Set(targets));
  for (const t of targets) {
    if (unit(t) === unit(file)) continue;
    if (!folders.has(unit(file))) folders.set(unit(file), new Set());
    folders.get(unit(file)).add(unit(t));
  }
}
const problems = [
  ...cycles(files).map((c) => `files: ${c.map((f) => path.relative(root, f)).join(' → ')}`),
  ...cycles(folders).map((c) => `folders: ${c.join(' → ')}`),
];
if (problems.length) {
  console.error(`import cycles under ${path.relative(process.cwd(), root) || '.'}:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`no import cycles under ${path.relative(process.cwd(), root) || '.'}: ${files.size} files, ${folders.size} folders with outside imports`);
