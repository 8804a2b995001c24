/**
 * MOS per system as a plotly bar chart with 95 % confidence intervals (src/analysis draws sweep
 * figures; MOS results come from src/mos's report, so the figure lives with the notebook helpers).
 */
import { baseLayout, round, type PlotlyFigure } from '../analysis/figures/plotlyFigure.js';
import { SCALE_INFO, type Scale } from '../mos/scales.js';
import type { SystemSummary } from '../mos/stats.js';

export function mosFigure(systems: readonly SystemSummary[], scale: Scale, title = 'Mean opinion score per system'): PlotlyFigure {
  const info = SCALE_INFO[scale];
  const layout = baseLayout(title, 'system', `MOS (${scale.toUpperCase()}, ${info.min}-${info.max})`);
  layout.yaxis = { title: { text: `MOS (${scale.toUpperCase()}, ${info.min}-${info.max})` }, range: [info.min, info.max] };
  layout.xaxis = {
    title: { text: 'system' },
    tickmode: 'array',
    tickvals: systems.map((s) => s.system),
    ticktext: systems.map((s) => `${s.system}<br>n=${s.n}`),
  };
  return {
    data: [
      {
        type: 'bar',
        name: 'MOS',
        x: systems.map((s) => s.system),
        y: systems.map((s) => round(s.mean, 4)),
        // No interval with a single rating: plotly draws no bar for 0.
        error_y: { type: 'data', array: systems.map((s) => round(Number.isFinite(s.ci95) ? s.ci95 : 0, 4)), visible: true },
        text: systems.map((s) => `n=${s.n}`),
        // Under each bar's name (tick labels below): drawn on the bar, the label sat on the CI whisker.
        textposition: 'none',
        hovertemplate: '%{x}<br>MOS %{y} ± %{error_y.array}<br>%{text}<extra></extra>',
      },
    ],
    layout,
  };
}
