// `@xclr/eval/plots`: vega-lite plot specs rendered to SVG and PNG (resvg, a bundled font) and
// self-contained HTML reports. Node only (node:fs, node:path, node:module, @resvg/resvg-js), so
// kept out of the root entry, which bundles for browsers.
export { heatmapSpec, type LinePoint, lineSpec, type PlotSpec, renderPlot } from './plots.js';
export { type ReportSection, writeReport } from './report.js';
