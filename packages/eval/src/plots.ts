import { createRequire } from 'node:module';
import path from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from './write-atomic.js';

// Plots are vega-lite specs rendered to SVG by vega, then to PNG by resvg with a bundled font, so
// they look the same on every machine and need no browser.

export type PlotSpec = TopLevelSpec;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

function fontFiles(): string[] {
  const require = createRequire(import.meta.url);
  const dir = path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  return ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => path.join(dir, f));
}

/** A similarity matrix as a labelled heatmap (the paper's Fig. 4: target vs learned). */
export function heatmapSpec(matrix: ArrayLike<number>, labels: readonly string[], title: string, domain: [number, number] = [-1, 1]): PlotSpec {
  const n = labels.length;
  if (matrix.length !== n * n) throw new Error(`heatmapSpec: ${matrix.length} values for ${n} labels (expected ${n * n})`);
  const values = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) values.push({ row: labels[i], col: labels[j], value: matrix[i * n + j] });
  return {
    $schema: SCHEMA,
    title,
    data: { values },
    width: 18 * n,
    height: 18 * n,
    mark: 'rect',
    encoding: {
      x: { field: 'col', type: 'nominal', sort: [...labels], title: null },
      y: { field: 'row', type: 'nominal', sort: [...labels], title: null },
      color: { field: 'value', type: 'quantitative', scale: { scheme: 'blueorange', domain }, title: 'similarity' },
      tooltip: [{ field: 'row' }, { field: 'col' }, { field: 'value', format: '.3f' }],
    },
  } as PlotSpec;
}

export interface LinePoint {
  x: number;
  y: number;
  series: string;
}

/** Lines of y against x, one per series (training curves, accuracy vs k, sweeps). */
export function lineSpec(points: LinePoint[], options: { title: string; x: string; y: string; logX?: boolean; width?: number }): PlotSpec {
  return {
    $schema: SCHEMA,
    title: options.title,
    data: { values: points },
    width: options.width ?? 360,
    height: 220,
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: options.x, scale: options.logX ? { type: 'log' } : { zero: false } },
      y: { field: 'y', type: 'quantitative', title: options.y, scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  } as PlotSpec;
}

/** Renders a spec to `<base>.svg` and `<base>.png` (each written atomically); returns their paths. */
export async function renderPlot(spec: PlotSpec, base: string): Promise<{ svg: string; png: string }> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: 2 },
    background: 'white',
    font: { fontFiles: fontFiles(), loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans' },
  })
    .render()
    .asPng();
  writeFileAtomic(`${base}.svg`, svg);
  writeFileAtomic(`${base}.png`, png);
  return { svg: `${base}.svg`, png: `${base}.png` };
}
