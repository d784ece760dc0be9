import path from 'node:path';
import { writeFileAtomic } from './write-atomic.js';

export interface ReportSection {
  title: string;
  /** Plot files relative to the report (SVG preferred, embedded as <img>). */
  images?: string[];
  /** A table: header row then rows. */
  table?: (string | number)[][];
  text?: string;
}

function escapeHtml(s: string | number): string {
  return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

/** A self-contained HTML report (plots referenced by relative path), written atomically. */
export function writeReport(file: string, title: string, sections: ReportSection[]): string {
  const body = sections
    .map((s) => {
      const parts = [`<h2>${escapeHtml(s.title)}</h2>`];
      if (s.text) parts.push(`<p>${escapeHtml(s.text)}</p>`);
      if (s.table) {
        const [head, ...rows] = s.table;
        parts.push(
          `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
            .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
            .join('')}</tbody></table>`,
        );
      }
      for (const img of s.images ?? []) parts.push(`<img src="${escapeHtml(img)}" alt="${escapeHtml(path.basename(img))}">`);
      return `<section>${parts.join('\n')}</section>`;
    })
    .join('\n');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}th:first-child,td:first-child{text-align:left}img{max-width:100%;margin:8px}</style>
</head><body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>
`;
  writeFileAtomic(file, html);
  return file;
}
