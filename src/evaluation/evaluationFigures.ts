/** Plotly figures of an evaluation: perplexity per model, per codebook, and against model size. */
import { baseLayout, round, type PlotlyFigure, type PlotlyTrace } from '../analysis/figures/plotlyFigure.js';
import type { IntervalSummary, ModelSummary } from './evaluationResults.js';

/**
 * Asymmetric error bars from an interval (perplexity intervals are exp of CE intervals). A model
 * scored on one segment has no interval; plotly draws a bar of length 0 as a cap that reads as a
 * CI of zero, so the bars are hidden when no interval is known.
 */
function errorBars(intervals: readonly IntervalSummary[]): PlotlyTrace['error_y'] {
  const ok = (x: number): number => (Number.isFinite(x) ? round(x) : 0);
  return {
    type: 'data',
    symmetric: false,
    array: intervals.map((i) => ok(i.high - i.mean)),
    arrayminus: intervals.map((i) => ok(i.mean - i.low)),
    visible: intervals.some((i) => Number.isFinite(i.high) && Number.isFinite(i.low)),
  };
}

/** Perplexity (exp of the mean CE) per model with its 95 % CI. */
export function perplexityFigure(summaries: readonly ModelSummary[]): PlotlyFigure {
  return {
    data: [
      {
        type: 'bar',
        name: 'ppl',
        x: summaries.map((s) => s.model),
        y: summaries.map((s) => round(s.ppl.mean)),
        error_y: errorBars(summaries.map((s) => s.ppl)),
        text: summaries.map((s) => `n=${s.items}`),
      },
    ],
    layout: { ...baseLayout('Perplexity per model (95 % CI over segments)', 'model', 'perplexity (exp ce)'), showlegend: false },
  };
}

/** Perplexity of each codebook (ppl_q1..ppl_qK), one group of bars per model. */
export function codebookPerplexityFigure(summaries: readonly ModelSummary[]): PlotlyFigure {
  return {
    data: summaries.map((s) => ({
      type: 'bar',
      name: s.model,
      x: s.perplexity.map((_, k) => `q${k + 1}`),
      y: s.perplexity.map((p) => round(p.mean)),
      error_y: errorBars(s.perplexity),
    })),
    layout: { ...baseLayout('Perplexity per codebook (95 % CI over segments)', 'codebook', 'perplexity'), barmode: 'group' },
  };
}

/**
 * Perplexity against decoder parameters (log axis), beside the sweeps' model-size figures. Points
 * go in order of size; the line joins them only when every model has its own size (two
 * checkpoints of one architecture would otherwise be joined by a vertical line that reads as a trend).
 */
export function perplexityVsSizeFigure(summaries: readonly ModelSummary[]): PlotlyFigure {
  const known = summaries
    .filter((s) => s.parameters !== null)
    .sort((a, b) => (a.parameters as number) - (b.parameters as number));
  const distinctSizes = new Set(known.map((s) => s.parameters)).size === known.length;
  return {
    data: [
      {
        type: 'scatter',
        mode: distinctSizes ? 'markers+lines+text' : 'markers+text',
        name: 'ppl',
        x: known.map((s) => s.parameters as number),
        y: known.map((s) => round(s.ppl.mean)),
        text: known.map((s) => s.model),
        textposition: 'top center',
        error_y: errorBars(known.map((s) => s.ppl)),
      },
    ],
    layout: {
      ...baseLayout('Perplexity vs model size', 'decoder parameters', 'perplexity (exp ce)'),
      xaxis: { title: { text: 'decoder parameters' }, type: 'log' },
      showlegend: false,
    },
  };
}
