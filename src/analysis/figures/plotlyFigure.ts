/**
 * Plotly figures as plain JSON ({data, layout}): what plotly.js, the notebook MIME type
 * application/vnd.plotly.v1+json and Python's plotly all accept. Only plain arrays, numbers and
 * strings go in, so JSON.stringify of a figure is the figure.
 */
export type PlotlyValue = string | number | boolean | null | PlotlyValue[] | { [key: string]: PlotlyValue | undefined };

/** One trace (scatter, heatmap, ...): plotly's attribute names. */
export interface PlotlyTrace {
  type: string;
  [attribute: string]: PlotlyValue | undefined;
}

export interface PlotlyFigure {
  data: PlotlyTrace[];
  layout: { [attribute: string]: PlotlyValue | undefined };
}

/** Layout shared by the figures: title, axis titles, a compact margin and a legible font. */
export function baseLayout(title: string, xTitle: string, yTitle: string): PlotlyFigure['layout'] {
  return {
    title: { text: title },
    xaxis: { title: { text: xTitle }, zeroline: false },
    yaxis: { title: { text: yTitle }, zeroline: false },
    margin: { l: 70, r: 30, t: 60, b: 60 },
    font: { family: 'Helvetica, Arial, sans-serif', size: 13 },
    template: 'plotly_white',
    plot_bgcolor: '#ffffff',
    paper_bgcolor: '#ffffff',
  };
}

/** A number rounded to `digits` decimals (keeps figure JSON small). */
export function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Finite numbers as-is, everything else as null (plotly leaves a gap). */
export function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
