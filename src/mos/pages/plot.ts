import type { SystemSummary } from '../stats.js';
import { esc } from './html.js';

/** Bar chart of per-system means with 95 % CI whiskers, as inline SVG (no script needed). */
export function mosPlot(rows: readonly SystemSummary[], min: number, max: number): string {
  const w = 640;
  const rowH = 28;
  const left = 170;
  const right = 20;
  const h = rows.length * rowH + 40;
  const x = (v: number) => left + ((Math.min(max, Math.max(min, v)) - min) / (max - min || 1)) * (w - left - right);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => min + f * (max - min));
  const bars = rows
    .map((r, i) => {
      const y = 10 + i * rowH;
      const ci = Number.isFinite(r.ci95) ? r.ci95 : 0;
      return `<text x="${left - 8}" y="${y + 17}" text-anchor="end" font-size="13">${esc(r.system)}</text>
<rect x="${left}" y="${y + 4}" width="${Math.max(0, x(r.mean) - left)}" height="18" fill="#5b8def"/>
<line x1="${x(r.mean - ci)}" x2="${x(r.mean + ci)}" y1="${y + 13}" y2="${y + 13}" stroke="#111" stroke-width="2"/>
<text x="${x(r.mean) + 4}" y="${y + 26}" font-size="10">${r.mean.toFixed(2)}</text>`;
    })
    .join('\n');
  const axis = ticks
    .map((t) => `<line x1="${x(t)}" x2="${x(t)}" y1="6" y2="${h - 24}" stroke="#ccd"/><text x="${x(t)}" y="${h - 8}" font-size="11" text-anchor="middle">${+t.toFixed(2)}</text>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" role="img" aria-label="MOS per system with 95% CI">${axis}${bars}</svg>`;
}
