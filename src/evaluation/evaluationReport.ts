import { join } from 'node:path';
import { escapeHtml, figureDiv } from '../analysis/figures/figureHtml.js';
import { htmlTable, reportPage } from '../analysis/figures/reportPage.js';
import { codebookPerplexityFigure, perplexityFigure, perplexityVsSizeFigure } from './evaluationFigures.js';
import type { EvaluationRow, IntervalSummary, ModelSummary } from './evaluationResults.js';
import { writeFileAtomic } from '../atomicWrite.js';


function fmt(x: number | null): string {
  return x === null || !Number.isFinite(x) ? '–' : x.toPrecision(4);
}

function withInterval(i: IntervalSummary): string {
  return Number.isFinite(i.low) ? `${fmt(i.mean)} [${fmt(i.low)}, ${fmt(i.high)}]` : fmt(i.mean);
}

/**
 * Writes `outDir/report.html`: per model the perplexity and cross-entropy with 95 % CIs (overall
 * and per codebook), the figures (plotly inlined: works offline) and one line per segment.
 */
export async function writeEvaluationReport(outDir: string, rows: readonly EvaluationRow[], summaries: readonly ModelSummary[], note = ''): Promise<string> {
  const K = Math.max(...summaries.map((s) => s.crossEntropy.length));
  const q = Array.from({ length: K }, (_, k) => `q${k + 1}`);
  const summaryTable = htmlTable(
    ['model', 'segments', 'ppl [95 % CI]', 'ce (nats) [95 % CI]', ...q.map((n) => `ppl_${n}`), 'audio s / s'],
    summaries.map((s) => [
      escapeHtml(s.model),
      String(s.items),
      withInterval(s.ppl),
      withInterval(s.ce),
      ...q.map((_, k) => (s.perplexity[k] ? withInterval(s.perplexity[k]) : '–')),
      fmt(s.audioSecondsPerSecond),
    ]),
    'summary',
  );
  const figures = [perplexityFigure(summaries), codebookPerplexityFigure(summaries)];
  if (summaries.filter((s) => s.parameters !== null).length > 1) figures.push(perplexityVsSizeFigure(summaries));
  const itemTable = htmlTable(
    ['model', 'segment', 'frames', 'text', 'ppl', 'ce', ...q.map((n) => `ce_${n}`)],
    rows.map((r) => [
      escapeHtml(r.model),
      `<code>${escapeHtml(r.id)}</code>`,
      String(r.frames),
      r.text === null ? '<i>(null condition)</i>' : escapeHtml(r.text),
      fmt(r.ppl),
      fmt(r.ce),
      ...q.map((_, k) => fmt(r.crossEntropy[k] ?? null)),
    ]),
    'items',
  );
  const html = reportPage('musicgen-ts evaluation report', 'Teacher-forced cross-entropy and perplexity', [
    `<p>${summaries.length} model(s), ${rows.length} scored segment(s). Cross-entropy in nats per codebook over the frames AudioCraft scores, no CFG; perplexity = exp(mean ce), its interval exp of the CE interval. ${escapeHtml(note)} Files: <a href="results.csv">results.csv</a>, <a href="summary.csv">summary.csv</a>, <a href="results.json">results.json</a>.</p>`,
    '<h2>Per model (mean over segments [95 % CI])</h2>',
    summaryTable,
    '<h2>Figures</h2>',
    `<div class="grid">\n${figures.map((f, i) => figureDiv(f, `figure-${i}`)).join('\n')}\n</div>`,
    '<h2>Segments</h2>',
    itemTable,
  ]);
  const path = join(outDir, 'report.html');
  await writeFileAtomic(path, html);
  return path;
}
