/**
 * Jupyter MIME bundles for notebook outputs: audio players, tables, images, progress. Plotly
 * figures use src/analysis's notebookBundle (JSON + HTML with plotly.js + PNG).
 * Pure functions (no kernel needed): each returns the `data` dict of one display_data message,
 * binary payloads base64-encoded as the Jupyter protocol requires.
 */
import { escapeHtml } from '../analysis/figures/figureHtml.js';
import { encodeWav } from '../audio/wavCodec.js';

/** The `data` of a display_data message: MIME type -> payload (strings, or JSON for *+json). */
export type MimeBundle = Record<string, unknown>;

export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export interface AudioBundleOptions {
  /** Caption above the player (a prompt, a setting). */
  label?: string;
  /** WAV sample format; 16-bit keeps notebooks small (1 s mono at 32 kHz is 64 kB). */
  encoding?: 'pcm16' | 'float32';
}

/**
 * An HTML <audio> player with the audio embedded as a base64 WAV data URI, so the notebook (and
 * its HTML export) plays without any file next to it.
 */
export function audioBundle(channels: readonly Float32Array[], sampleRate: number, opts: AudioBundleOptions = {}): MimeBundle {
  if (channels.length === 0) throw new RangeError('audioBundle: no channels');
  const wav = encodeWav(channels, sampleRate, opts.encoding ?? 'pcm16');
  const seconds = channels[0].length / sampleRate;
  const layout = channels.length === 1 ? 'mono' : channels.length === 2 ? 'stereo' : `${channels.length} channels`;
  const summary = `${seconds.toFixed(2)} s, ${sampleRate} Hz, ${layout}`;
  const caption = opts.label ? `${escapeHtml(opts.label)} <small>(${summary})</small>` : `<small>${summary}</small>`;
  const html =
    `<figure class="musicgen-audio" style="margin:0.3em 0">` +
    `<figcaption style="font-size:90%">${caption}</figcaption>` +
    `<audio controls preload="metadata" src="data:audio/wav;base64,${base64(wav)}"></audio></figure>`;
  return { 'text/html': html, 'text/plain': `[audio ${opts.label ? `${opts.label}: ` : ''}${summary}]` };
}

/** PNG bytes as an image output. */
export function pngBundle(png: Uint8Array, opts: { alt?: string } = {}): MimeBundle {
  return { 'image/png': base64(png), 'text/plain': `[image: ${opts.alt ?? 'PNG'}]` };
}

/** What tables accept: a danfo DataFrame (columns + values) or an array of plain records. */
export type TableLike = { columns: readonly string[]; values: readonly (readonly unknown[])[] | readonly unknown[] } | readonly Record<string, unknown>[];

export interface TableBundleOptions {
  caption?: string;
  /** Significant digits of non-integer numbers (default 4; never drops integer digits). */
  digits?: number;
  /** Rows shown at most (default 200); the caption says how many were left out. */
  maxRows?: number;
}

function formatCell(v: unknown, digits: number): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') {
    if (Number.isInteger(v) || !Number.isFinite(v)) return String(v);
    // Significant digits: 0.7 stays 0.7, 0.012345 keeps its digits, 1234.5 loses the fraction.
    return String(Number(v.toPrecision(Math.max(digits, Math.ceil(Math.log10(Math.abs(v)) + 1e-9)))));
  }
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Column names and row arrays of a TableLike. */
export function tableRows(table: TableLike): { columns: string[]; rows: unknown[][] } {
  if (Array.isArray(table)) {
    const records = table as readonly Record<string, unknown>[];
    const columns: string[] = [];
    for (const r of records) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
    return { columns, rows: records.map((r) => columns.map((c) => r[c])) };
  }
  const df = table as { columns: readonly string[]; values: readonly unknown[] };
  const columns = [...df.columns];
  // A one-column DataFrame (or a Series) gives a flat array of values.
  const rows = df.values.map((row) => (Array.isArray(row) ? [...row] : [row]));
  return { columns, rows };
}

/** An HTML table (and aligned plain text) of a DataFrame or an array of records. */
export function tableBundle(table: TableLike, opts: TableBundleOptions = {}): MimeBundle {
  const digits = opts.digits ?? 4;
  const maxRows = opts.maxRows ?? 200;
  const { columns, rows } = tableRows(table);
  const shown = rows.slice(0, maxRows).map((r) => r.map((v) => formatCell(v, digits)));
  const numeric = columns.map((_, c) => rows.length > 0 && rows.every((r) => typeof r[c] === 'number' || r[c] == null));
  const align = (c: number): string => (numeric[c] ? ' style="text-align:right"' : '');
  const more = rows.length > shown.length ? ` (${rows.length - shown.length} more rows not shown)` : '';
  const caption = opts.caption || more ? `<caption>${escapeHtml(opts.caption ?? '')}${more}</caption>` : '';
  // Scrolls sideways inside its own box: a wide table in Notebook 6 lost its last columns.
  const html =
    `<div style="overflow-x:auto;max-width:100%"><table class="musicgen-table dataframe">${caption}<thead><tr>` +
    columns.map((c, i) => `<th${align(i)}>${escapeHtml(c)}</th>`).join('') +
    `</tr></thead><tbody>` +
    shown.map((r) => `<tr>${r.map((v, i) => `<td${align(i)}>${escapeHtml(v)}</td>`).join('')}</tr>`).join('') +
    `</tbody></table></div>`;
  const widths = columns.map((c, i) => Math.max(c.length, ...shown.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((v, i) => (numeric[i] ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ').trimEnd();
  const text = [opts.caption, line(columns), ...shown.map(line), more.trim() || undefined].filter((s) => s !== undefined && s !== '').join('\n');
  return { 'text/html': html, 'text/plain': text };
}

/** HTML of a progress display: a bar, counts and elapsed time. */
export function progressHtml(label: string, done: number, total: number, seconds: number): string {
  const pct = total > 0 ? Math.min(100, (100 * done) / total) : 0;
  const status = done >= total && total > 0 ? 'done' : `${pct.toFixed(0)}%`;
  return (
    `<div class="musicgen-progress" style="font-family:monospace">${escapeHtml(label)} ` +
    `<progress value="${done}" max="${Math.max(total, 1)}" style="vertical-align:middle"></progress> ` +
    `${done}/${total} ${status} · ${seconds.toFixed(1)} s</div>`
  );
}
