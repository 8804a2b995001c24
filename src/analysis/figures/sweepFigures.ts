import { FigureDataError } from '../errors.js';
import { METRIC_LABELS, type SweepResultRow } from '../sweepResults.js';
import { distinct, meansBy } from './groupedMeans.js';
import { baseLayout, finiteOrNull, round, type PlotlyFigure, type PlotlyTrace } from './plotlyFigure.js';

function label(metric: string): string {
  return METRIC_LABELS[metric] ?? metric;
}

function requireRows(rows: readonly SweepResultRow[], what: string): void {
  if (rows.length === 0) throw new FigureDataError(`${what}: no result rows to plot`);
}

/**
 * CI half-widths as plotly error bars. A single sample has no CI (NaN); plotly would draw a
 * length-0 bar as a cap that reads as a CI of zero, so the bars are hidden when none is known.
 */
function errorBars(ci: number[]): PlotlyTrace['error_y'] {
  return {
    type: 'data',
    array: ci.map((c) => (Number.isFinite(c) ? round(c, 6) : 0)),
    visible: ci.some((c) => Number.isFinite(c)),
    thickness: 1.2,
    width: 4,
  };
}

/**
 * Model size vs a metric: one point per model at its decoder parameter count (log axis), the
 * metric's mean with its 95 % CI, labelled with the model name. Speed: stepsPerSecond or
 * realTimeFactor; memory: peakRssMb; quality proxies: entropyBits, chromaMatchRate, ...
 */
export function modelSizeFigure(rows: readonly SweepResultRow[], metric: string): PlotlyFigure {
  requireRows(rows, 'modelSizeFigure');
  const models = distinct(rows.map((r) => r.model));
  const points = models
    .map((m) => {
      const members = rows.filter((r) => r.model === m);
      const [s] = meansBy(members, () => m, metric);
      return { model: m, params: members[0].decoderParams, ...s };
    })
    .sort((a, b) => a.params - b.params);
  const trace: PlotlyTrace = {
    type: 'scatter',
    mode: 'lines+markers+text',
    name: label(metric),
    x: points.map((p) => round(p.params / 1e6, 3)),
    y: points.map((p) => finiteOrNull(round(p.mean, 6))),
    error_y: errorBars(points.map((p) => p.ci95)),
    text: points.map((p) => p.model),
    // Labels grow inwards from the outermost points, so the plot edges do not cut them.
    textposition: points.map((_, i) => (points.length < 2 ? 'top center' : i === 0 ? 'top right' : i === points.length - 1 ? 'top left' : 'top center')),
    cliponaxis: false,
    marker: { size: 10 },
    hovertemplate: '%{text}<br>%{x} M params<br>%{y}<extra></extra>',
  };
  const layout = baseLayout(`Model size vs ${label(metric)}`, 'decoder parameters (millions, log)', label(metric));
  // A fifth of a decade of margin either side of the points (log axis ranges are in log10 units).
  const logs = points.map((p) => Math.log10(Math.max(p.params / 1e6, 1e-9)));
  layout.xaxis = { title: { text: 'decoder parameters (millions, log)' }, type: 'log', range: [round(Math.min(...logs) - 0.2, 4), round(Math.max(...logs) + 0.2, 4)] };
  return { data: [trace], layout };
}

/** A metric against the CFG coefficient, one line per model (mean and 95 % CI over prompts, seeds and other settings). */
export function cfgFigure(rows: readonly SweepResultRow[], metric: string): PlotlyFigure {
  requireRows(rows, 'cfgFigure');
  const data: PlotlyTrace[] = distinct(rows.map((r) => r.model)).map((model) => {
    const points = meansBy(rows.filter((r) => r.model === model), (r) => r.cfgCoef, metric);
    return {
      type: 'scatter',
      mode: 'lines+markers',
      name: model,
      x: points.map((p) => p.key),
      y: points.map((p) => finiteOrNull(round(p.mean, 6))),
      error_y: errorBars(points.map((p) => p.ci95)),
    };
  });
  return { data, layout: { ...baseLayout(`${label(metric)} vs CFG coefficient`, 'CFG coefficient', label(metric)), showlegend: true } };
}

/**
 * Heat map of a metric's mean over temperature (rows) x top-k (columns) for one model (default:
 * the first), cells annotated with their values; cells the sweep did not cover stay empty.
 */
export function temperatureTopKHeatmap(rows: readonly SweepResultRow[], metric: string, model?: string): PlotlyFigure {
  requireRows(rows, 'temperatureTopKHeatmap');
  const name = model ?? rows[0].model;
  const mine = rows.filter((r) => r.model === name);
  if (mine.length === 0) throw new FigureDataError(`temperatureTopKHeatmap: no rows for model "${name}"; models: ${distinct(rows.map((r) => r.model)).join(', ')}`);
  const temps = distinct(mine.map((r) => r.temperature)).sort((a, b) => a - b);
  const ks = distinct(mine.map((r) => r.topK)).sort((a, b) => a - b);
  const z = temps.map((t) =>
    ks.map((k) => {
      const [cell] = meansBy(mine.filter((r) => r.temperature === t && r.topK === k), () => 0, metric);
      return cell ? finiteOrNull(round(cell.mean, 4)) : null;
    }),
  );
  const trace: PlotlyTrace = {
    type: 'heatmap',
    // Categories, so uneven grids (top-k 10, 50, 250) get equal cells.
    x: ks.map((k) => `k=${k}`),
    y: temps.map((t) => `T=${t}`),
    z,
    colorscale: 'Viridis',
    colorbar: { title: { text: label(metric) } },
    texttemplate: '%{z:.3g}',
    hovertemplate: '%{y}, %{x}<br>%{z}<extra></extra>',
  };
  return { data: [trace], layout: baseLayout(`${label(metric)}: temperature x top-k (${name})`, 'top-k', 'temperature') };
}
