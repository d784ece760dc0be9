import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { heatmapSpec, lineSpec, renderPlot, writeReport } from '../src/plots-entry.js';

describe('plots and reports', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xclr-plots-'));

  it('renders a labelled heatmap to SVG and PNG', async () => {
    const { svg, png } = await renderPlot(heatmapSpec([1, 0.2, 0.2, 1], ['Coat', 'Sandal'], 'target similarity'), path.join(dir, 'heat'));
    const text = fs.readFileSync(svg, 'utf8');
    expect(text.startsWith('<svg')).toBe(true);
    expect(text).toContain('Sandal');
    expect(text).toContain('target similarity');
    const bytes = fs.readFileSync(png);
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
    // 2× zoom of a chart wider than its 36-px matrix: a real raster, not an empty image.
    expect(bytes.readUInt32BE(16)).toBeGreaterThan(100);
    expect(() => heatmapSpec([1, 2, 3], ['a', 'b'], 't')).toThrow('heatmapSpec: 3 values for 2 labels (expected 4)');
  });

  it('renders line charts and writes an HTML report that links them', async () => {
    const points = [1, 10, 20, 200].flatMap((k, i) => [
      { x: k, y: 0.8 + i / 100, series: 'encoder' },
      { x: k, y: 0.78, series: 'raw pixels' },
    ]);
    const { svg } = await renderPlot(lineSpec(points, { title: 'kNN accuracy vs k', x: 'k', y: 'top-1', logX: true }), path.join(dir, 'knn'));
    expect(fs.readFileSync(svg, 'utf8')).toContain('raw pixels');
    const file = writeReport(path.join(dir, 'report.html'), 'run <1>', [
      { title: 'Accuracy', table: [['features', 'kNN'], ['encoder', '85.0%']] },
      { title: 'Plots', images: ['knn.svg'] },
    ]);
    const html = fs.readFileSync(file, 'utf8');
    expect(html).toContain('<title>run &lt;1&gt;</title>');
    expect(html).toContain('<img src="knn.svg"');
    expect(html).toContain('<td>85.0%</td>');
  });
});
