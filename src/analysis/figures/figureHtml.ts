import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { PlotlyFigure } from './plotlyFigure.js';

let bundle: string | null = null;

/** plotly.js (plotly.js-dist-min's plotly.min.js), read once: inlined so pages work offline. */
export function plotlyBundleSource(): string {
  if (bundle === null) {
    const path = createRequire(import.meta.url).resolve('plotly.js-dist-min');
    bundle = readFileSync(path, 'utf8');
  }
  return bundle;
}

/** JSON that is safe inside a <script> element (no `</script>`, no U+2028/2029 line breaks). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const PLOT_CONFIG = { responsive: true, displaylogo: false };

/** A div and the script that draws `figure` into it (plotly must already be on the page). */
export function figureDiv(figure: PlotlyFigure, id = `plot-${randomBytes(6).toString('hex')}`, height = 420): string {
  return (
    `<div id="${id}" class="plotly-figure" style="width:100%;height:${height}px"></div>\n` +
    `<script>Plotly.newPlot(${JSON.stringify(id)}, ${scriptJson(figure.data)}, ${scriptJson(figure.layout)}, ${JSON.stringify(PLOT_CONFIG)});</script>`
  );
}

/** `<script>` with the whole plotly.js bundle inline (about 4.8 MB). */
export function inlinePlotlyScript(): string {
  // The bundle's own text never contains "</script>" (it is minified JS); keep a guard anyway.
  return `<script>${plotlyBundleSource().replace(/<\/script/gi, '<\\/script')}</script>`;
}

/** A standalone HTML page with the figures, plotly inlined: opens offline, from file:// or e-mail. */
export function standaloneFigureHtml(figures: readonly PlotlyFigure[], title = 'musicgen-ts figures'): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    inlinePlotlyScript(),
    '</head><body style="font-family:Helvetica,Arial,sans-serif;margin:16px">',
    ...figures.map((f) => figureDiv(f)),
    '</body></html>',
    '',
  ].join('\n');
}

/** MIME data for one notebook output (tslab's display, IPython's display_data). */
export interface NotebookMimeBundle {
  'application/vnd.plotly.v1+json': PlotlyFigure;
  'text/html': string;
  /** Base64 PNG: what untrusted notebooks and static renderers show. */
  'image/png'?: string;
}

/**
 * One notebook output carrying the figure three ways: plotly JSON (JupyterLab renders it), HTML
 * with plotly inlined (classic Notebook, nbconvert HTML; loads the bundle once per page) and a PNG
 * fallback when given (render it with FigureRenderer.toPng).
 */
export function notebookBundle(figure: PlotlyFigure, png?: Uint8Array): NotebookMimeBundle {
  const id = `plot-${randomBytes(6).toString('hex')}`;
  const html =
    `<div id="${id}" style="width:100%;height:420px"></div>\n` +
    // The bundle is evaluated only when no earlier output on the page loaded plotly.
    `<script>if (!window.Plotly) {${plotlyBundleSource().replace(/<\/script/gi, '<\\/script')}\n}</script>\n` +
    `<script>Plotly.newPlot(${JSON.stringify(id)}, ${scriptJson(figure.data)}, ${scriptJson(figure.layout)}, ${JSON.stringify(PLOT_CONFIG)});</script>`;
  const out: NotebookMimeBundle = { 'application/vnd.plotly.v1+json': figure, 'text/html': html };
  if (png) out['image/png'] = Buffer.from(png).toString('base64');
  return out;
}
