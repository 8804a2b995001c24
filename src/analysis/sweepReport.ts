import { join } from 'node:path';
import { audioChroma, CHROMA_SAMPLE_RATE, type Chroma } from '../audio/chroma.js';
import { readAudio } from '../audio/read.js';
import { distinct } from './figures/groupedMeans.js';
import { escapeHtml, figureDiv } from './figures/figureHtml.js';
import { htmlTable, reportPage } from './figures/reportPage.js';
import type { PlotlyFigure } from './figures/plotlyFigure.js';
import { chromagramFigure, spectrogramFigure, waveformFigure } from './figures/signalFigures.js';
import { cfgFigure, modelSizeFigure, temperatureTopKHeatmap } from './figures/sweepFigures.js';
import { summarize, type GroupColumn } from './resultsFrame.js';
import { formatSignificant, formatSummaryCell } from './summaryTable.js';
import { METRIC_LABELS, type FlatCell, type SweepResultRow } from './sweepResults.js';
import { writeFileAtomic } from '../atomicWrite.js';

export interface ReportFigure {
  /** Section of the report: "models", "cfg", "sampling" or "signals". */
  section: string;
  title: string;
  figure: PlotlyFigure;
}

const SPEED_MEMORY = ['stepsPerSecond', 'realTimeFactor', 'peakRssMb'];
const QUALITY = ['entropyBits', 'distinctRatio', 'spectralCentroidHz', 'spectralFlatness', 'loudnessLufs'];
const TABLE_METRICS = ['stepsPerSecond', 'realTimeFactor', 'peakRssMb', 'entropyBits', 'distinctRatio', 'spectralCentroidHz', 'loudnessLufs', 'chromaMatchRate'];

/** The chromagram the report draws: the model's own melody conversion (src/audio/chroma.ts). */
export function chromaOf(channels: readonly Float32Array[], sampleRate: number): Chroma {
  return audioChroma(channels, sampleRate);
}

/** Enough samples for a 16384-point chroma frame (reflect padding). */
function longEnoughForChroma(channels: readonly Float32Array[], sampleRate: number): boolean {
  return (channels[0].length * CHROMA_SAMPLE_RATE) / sampleRate > 8193;
}

/**
 * Every figure of a sweep report: model size vs speed, memory and metrics; metrics vs CFG per
 * model; temperature x top-k heat maps per model; and for the first sample of each model its
 * waveform, spectrogram and (with a melody) chromagram against the melody. Audio is read back from
 * the sweep folder.
 */
export async function sweepReportFigures(rows: readonly SweepResultRow[], outDir: string): Promise<ReportFigure[]> {
  const figures: ReportFigure[] = [];
  const withMelody = rows.some((r) => r.chromaMatchRate !== null);
  const quality = withMelody ? [...QUALITY, 'chromaMatchRate'] : QUALITY;
  for (const metric of [...SPEED_MEMORY, 'entropyBits']) {
    figures.push({ section: 'models', title: `Model size vs ${METRIC_LABELS[metric]}`, figure: modelSizeFigure(rows, metric) });
  }
  for (const metric of quality) {
    figures.push({ section: 'cfg', title: `${METRIC_LABELS[metric]} vs CFG`, figure: cfgFigure(rows, metric) });
  }
  for (const model of distinct(rows.map((r) => r.model))) {
    figures.push({ section: 'sampling', title: `Temperature x top-k: token entropy (${model})`, figure: temperatureTopKHeatmap(rows, 'entropyBits', model) });
  }
  for (const model of distinct(rows.map((r) => r.model))) {
    const row = rows.find((r) => r.model === model)!;
    const audio = await readAudio(join(outDir, row.file));
    figures.push({ section: 'signals', title: `Waveform: ${row.sampleId}`, figure: waveformFigure(audio.channels, audio.sampleRate, { title: `Waveform: ${row.sampleId}` }) });
    figures.push({ section: 'signals', title: `Spectrogram: ${row.sampleId}`, figure: spectrogramFigure(audio.channels, audio.sampleRate, { title: `Spectrogram: ${row.sampleId}` }) });
    const melodyRow = rows.find((r) => r.model === model && r.melody !== null);
    if (melodyRow) {
      const out = melodyRow === row ? audio : await readAudio(join(outDir, melodyRow.file));
      const melody = await readAudio(melodyRow.melody!);
      if (longEnoughForChroma(out.channels, out.sampleRate) && longEnoughForChroma(melody.channels, melody.sampleRate)) {
        figures.push({
          section: 'signals',
          title: `Chromagram: ${melodyRow.sampleId}`,
          figure: chromagramFigure(chromaOf(out.channels, out.sampleRate), chromaOf(melody.channels, melody.sampleRate), `Chromagram: melody vs ${melodyRow.sampleId}`),
        });
      }
    }
  }
  return figures;
}

function formatCell(v: FlatCell): string {
  if (v === null) return '–';
  if (typeof v === 'number') return formatSignificant(v);
  return String(v);
}

/**
 * Summary table: mean ± 95 % CI of the main metrics per model, CFG, temperature and top-k; speed
 * and memory count once per decoder batch (summaryTable.ts), so one batch shows one measurement.
 */
function summaryTableHtml(rows: readonly SweepResultRow[]): string {
  const groupBy: GroupColumn[] = ['model', 'cfgCoef', 'temperature', 'topK', 'topP'];
  const metrics = TABLE_METRICS.filter((m) => m !== 'chromaMatchRate' || rows.some((r) => r.chromaMatchRate !== null));
  const body = summarize(rows, { groupBy, metrics }).map((s) => [
    ...groupBy.map((g) => escapeHtml(formatCell(s.group[g]))),
    String(s.n),
    ...metrics.map((m) => escapeHtml(formatSummaryCell(m, s.metrics[m]))),
  ]);
  return htmlTable([...groupBy, 'samples', ...metrics.map((m) => METRIC_LABELS[m] ?? m)], body, 'summary');
}

/** One line per sample with its settings, key metrics and an audio player. */
function samplesTableHtml(rows: readonly SweepResultRow[]): string {
  const body = rows.map((r) => [
    `<code>${escapeHtml(r.sampleId)}</code>`,
    escapeHtml(r.model),
    escapeHtml(r.prompt ?? '(unconditional)'),
    r.useSampling ? `k=${r.topK} p=${r.topP} T=${r.temperature}` : 'greedy',
    String(r.cfgCoef),
    String(r.seed),
    formatCell(r.entropyBits),
    formatCell(r.spectralCentroidHz),
    formatCell(r.chromaMatchRate),
    `<audio controls preload="metadata" src="${escapeHtml(encodeURI(r.file))}"></audio>`,
  ]);
  return htmlTable(['sample', 'model', 'prompt', 'sampling', 'CFG', 'seed', 'entropy (bits)', 'centroid (Hz)', 'chroma match', 'audio'], body, 'samples');
}


/**
 * Writes `outDir/report.html`: the summary table, every figure (plotly inlined, so the page works
 * offline) and a table of all samples with audio players (wavs referenced relative to the page).
 */
export async function writeSweepReport(outDir: string, rows: readonly SweepResultRow[], title = rows[0]?.sweep ?? 'sweep'): Promise<string> {
  const figures = await sweepReportFigures(rows, outDir);
  const sections: Array<[string, string]> = [
    ['models', 'Model size vs speed, memory and metrics'],
    ['cfg', 'Metrics vs CFG coefficient'],
    ['sampling', 'Sampling parameters'],
    ['signals', 'Signals'],
  ];
  let n = 0;
  const figureHtml = sections
    .map(([key, heading]) => {
      const mine = figures.filter((f) => f.section === key);
      if (mine.length === 0) return '';
      return `<h2>${escapeHtml(heading)}</h2>\n<div class="grid">\n${mine.map((f) => figureDiv(f.figure, `figure-${n++}`)).join('\n')}\n</div>`;
    })
    .join('\n');
  const models = distinct(rows.map((r) => r.model));
  const html = reportPage(`${title} — musicgen-ts sweep report`, title, [
    `<p>${rows.length} samples, ${models.length} model(s): ${models.map(escapeHtml).join(', ')}. Metrics are measured on the raw model output, before normalisation; wall time is each sample's share of its batch. Files: <a href="results.csv">results.csv</a>, <a href="results.json">results.json</a>, <a href="manifest.json">manifest.json</a> (MOS sample set).</p>`,
    '<h2>Summary (mean ± 95 % CI; speed, real-time factor and memory are measured once per decoder batch)</h2>',
    summaryTableHtml(rows),
    figureHtml,
    '<h2>Samples</h2>',
    samplesTableHtml(rows),
  ]);
  const path = join(outDir, 'report.html');
  await writeFileAtomic(path, html);
  return path;
}
