import { escapeHtml, inlinePlotlyScript } from './figureHtml.js';

/** The look of the offline reports: tables, a grid of figures, audio players. */
const REPORT_STYLE = `
body { font-family: Helvetica, Arial, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: middle; }
th { background: #f4f4f4; } td code { font-size: 12px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 12px; }
audio { height: 32px; width: 240px; }
`;

/**
 * The page of an offline report (the sweep's, the evaluation's report.html): one style, plotly
 * inlined so the page opens from file:// without a network, the heading, then `sections` (HTML)
 * in order. `title` and `heading` are text and are escaped here.
 */
export function reportPage(title: string, heading: string, sections: readonly string[]): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${REPORT_STYLE}</style>`,
    inlinePlotlyScript(),
    '</head><body>',
    `<h1>${escapeHtml(heading)}</h1>`,
    ...sections,
    '</body></html>',
    '',
  ].join('\n');
}

/** A table: the header cells are text (escaped here), the body cells HTML the caller escaped. */
export function htmlTable(header: readonly string[], body: readonly string[][], cls: string): string {
  const th = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const trs = body.map((cells) => `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${cls}"><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table>`;
}
