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

/** Options of notebookBundle. */
export interface NotebookBundleOptions {
  /**
   * Put plotly.js (~4.8 MB) in this output (default true). A notebook needs it once: figures of
   * later outputs draw with the copy an earlier output loaded (NotebookDisplay sends it with the
   * first figure of a kernel session), and show their PNG where no copy is on the page.
   */
  includePlotly?: boolean;
}

/** Queue of figures waiting for plotly.js on a notebook page (outputs may render before the bundle). */
const PLOT_QUEUE = 'musicgenPlotQueue';

/**
 * One notebook output carrying the figure three ways: plotly JSON (JupyterLab with its plotly
 * extension), HTML that draws it with plotly.js (classic Notebook, nbconvert HTML) and a PNG.
 * The PNG is also an <img> inside the HTML, replaced when plotly draws: Notebook 6 and JupyterLab
 * pick text/html before image/png even for untrusted notebooks and strip its scripts, so without
 * it an untrusted notebook (any notebook from a colleague or a repository) showed an empty figure.
 */
export function notebookBundle(figure: PlotlyFigure, png?: Uint8Array, opts: NotebookBundleOptions = {}): NotebookMimeBundle {
  const id = `plot-${randomBytes(6).toString('hex')}`;
  const png64 = png ? Buffer.from(png).toString('base64') : undefined;
  const t = figure.layout.title;
  const title = typeof t === 'string' ? t : t && typeof t === 'object' && !Array.isArray(t) && typeof t.text === 'string' ? t.text : 'figure';
  const fallback = png64 ? `<img src="data:image/png;base64,${png64}" alt="${escapeHtml(title)}" style="max-width:100%">` : '';
  const draw =
    `function(){var el=document.getElementById(${JSON.stringify(id)});if(!el)return;el.innerHTML='';el.style.height='420px';` +
    `Plotly.newPlot(el, ${scriptJson(figure.data)}, ${scriptJson(figure.layout)}, ${JSON.stringify(PLOT_CONFIG)});}`;
  // Loads the bundle once per page, then draws every figure that was waiting for it.
  const bundle =
    opts.includePlotly === false
      ? ''
      : `<script>if (!window.Plotly) {${plotlyBundleSource().replace(/<\/script/gi, '<\\/script')}\n}\n` +
        `(window.${PLOT_QUEUE}||[]).splice(0).forEach(function(f){f();});</script>\n`;
  const html =
    `<div id="${id}" class="musicgen-figure" style="width:100%">${fallback}</div>\n` +
    bundle +
    `<script>(function(){var d=${draw};if(window.Plotly)d();else(window.${PLOT_QUEUE}=window.${PLOT_QUEUE}||[]).push(d);})();</script>`;
  const out: NotebookMimeBundle = { 'application/vnd.plotly.v1+json': figure, 'text/html': html };
  if (png64) out['image/png'] = png64;
  return out;
}
