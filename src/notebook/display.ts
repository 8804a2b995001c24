/**
 * Notebook display helpers for the tslab kernel. A cell creates one `NotebookDisplay` from the
 * `tslab` module and calls audio() / figure() / table() / progress(); everything goes out as
 * Jupyter display_data messages, so outputs survive in the saved notebook and its HTML export.
 *
 *   import * as tslab from 'tslab';
 *   import { notebookDisplay } from '../dist/notebook/index.js';
 *   const show = notebookDisplay(tslab);
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { notebookBundle } from '../analysis/figures/figureHtml.js';
import { DEFAULT_CHROMIUM, FigureRenderer } from '../analysis/figures/figureRenderer.js';
import type { PlotlyFigure } from '../analysis/figures/plotlyFigure.js';
import { audioBundle, pngBundle, progressHtml, tableBundle, type AudioBundleOptions, type MimeBundle, type TableBundleOptions, type TableLike } from './mime.js';

/** The part of tslab's `Display` used here (tslab.display, tslab.newDisplay()). */
export interface TslabDisplay {
  raw(contentType: string, b: string | Uint8Array): unknown;
}

/** The part of the `tslab` module used here. */
export interface TslabModule {
  display: TslabDisplay;
  newDisplay(): TslabDisplay;
}

/** Content of a display_data / update_display_data message. */
export interface DisplayContent {
  data: MimeBundle;
  metadata: Record<string, unknown>;
  transient?: { display_id?: string };
}

/**
 * Sends one display message with a whole MIME bundle (update: replace a display_id's output).
 * Returns false when it cannot send, so the caller falls back to tslab's one-MIME display.
 */
export type BundleWriter = (content: DisplayContent, update: boolean) => boolean | void;

/**
 * tslab's public Display sends one MIME type per message, so a figure could not carry its JSON,
 * HTML and PNG together. The kernel's own writer (tslab/dist/jupyter.js, set for the cell being
 * executed) sends a whole bundle. Null when tslab is not resolvable from here.
 */
export function tslabBundleWriter(): BundleWriter | null {
  let jupyter: { lastWriteDisplayData: BundleWriter | null };
  try {
    jupyter = createRequire(import.meta.url)('tslab/dist/jupyter.js') as typeof jupyter;
  } catch {
    return null;
  }
  if (!('lastWriteDisplayData' in jupyter)) return null;
  return (content, update) => {
    // Null when the kernel runs another tslab install (e.g. a global one) than the one found here.
    const write = jupyter.lastWriteDisplayData;
    if (!write) return false;
    write(content, update);
    return true;
  };
}

/** Set once a figure output carried plotly.js in this kernel (shared by every NotebookDisplay). */
const PLOTLY_SENT = Symbol.for('musicgen-ts.plotlySent');

/** Order in which a single-MIME fallback picks what to show. */
const FALLBACK_ORDER = ['text/html', 'image/png', 'text/markdown', 'text/plain'];

export interface NotebookDisplayOptions {
  /** Whole-bundle writer; default tslabBundleWriter(). Null: one MIME type via tslab.display. */
  writeBundle?: BundleWriter | null;
  /**
   * Renders a figure to PNG for the fallback image. Default: src/analysis's FigureRenderer (one
   * headless chromium page, started at the first figure) when /usr/bin/chromium exists; false: no PNG.
   */
  figurePng?: ((figure: PlotlyFigure) => Promise<Uint8Array>) | false;
  /** Clock for progress displays (tests). */
  now?: () => number;
  /** Minimum milliseconds between progress updates (default 250): a decoder step is ~5 ms. */
  progressInterval?: number;
}

/** A generate() progress callback that also draws a bar in the cell's output. */
export interface ProgressDisplay {
  (done: number, total: number): void;
  /** Shows the final state with an optional note (e.g. the real-time factor). */
  finish(note?: string): void;
}

export class NotebookDisplay {
  private readonly writeBundle: BundleWriter | null;
  private renderer: Promise<FigureRenderer> | null = null;
  private noPngNoted = false;

  constructor(
    private readonly tslab: TslabModule,
    private readonly opts: NotebookDisplayOptions = {},
  ) {
    this.writeBundle = opts.writeBundle === undefined ? tslabBundleWriter() : opts.writeBundle;
  }

  /** Displays a MIME bundle as one output. */
  show(bundle: MimeBundle, metadata: Record<string, unknown> = {}): void {
    if (this.writeBundle && this.writeBundle({ data: bundle, metadata, transient: {} }, false) !== false) return;
    const mime = FALLBACK_ORDER.find((m) => typeof bundle[m] === 'string');
    if (!mime) throw new Error(`no displayable MIME type in ${Object.keys(bundle).join(', ')}`);
    const value = bundle[mime] as string;
    this.tslab.display.raw(mime, mime === 'image/png' ? Buffer.from(value, 'base64') : value);
  }

  /** An audio player with the audio embedded (audio[item] of a GenerationResult, or readAudio's channels). */
  audio(channels: readonly Float32Array[], sampleRate: number, opts: AudioBundleOptions = {}): void {
    this.show(audioBundle(channels, sampleRate, opts));
  }

  /** A PNG image (e.g. chromagramPng). */
  png(bytes: Uint8Array, alt?: string): void {
    this.show(pngBundle(bytes, { alt }));
  }

  /** A DataFrame or an array of records as an HTML table. */
  table(table: TableLike, opts: TableBundleOptions = {}): void {
    this.show(tableBundle(table, opts));
  }

  /**
   * A plotly figure as one output: plotly JSON, HTML drawing it with plotly.js, and a PNG (also
   * inside the HTML: what untrusted notebooks, GitHub and nbconvert without scripts show).
   * plotly.js itself (~4.8 MB) goes with the first figure of the kernel session only.
   */
  async figure(figure: PlotlyFigure): Promise<void> {
    const png = await this.renderPng(figure);
    const t = figure.layout.title;
    const title = typeof t === 'string' ? t : t && typeof t === 'object' && !Array.isArray(t) && typeof t.text === 'string' ? t.text : 'figure';
    const session = globalThis as Record<symbol, boolean | undefined>;
    const includePlotly = !session[PLOTLY_SENT];
    this.show({ ...notebookBundle(figure, png, { includePlotly }), 'text/plain': `[figure: ${title}]` });
    session[PLOTLY_SENT] = true;
  }

  private async renderPng(figure: PlotlyFigure): Promise<Uint8Array | undefined> {
    const { figurePng } = this.opts;
    if (figurePng === false) return undefined;
    if (figurePng) return figurePng(figure);
    if (!this.renderer) {
      if (!existsSync(DEFAULT_CHROMIUM)) {
        if (!this.noPngNoted) console.log(`note: no ${DEFAULT_CHROMIUM}: figures carry no PNG fallback (apt install chromium)`);
        this.noPngNoted = true;
        return undefined;
      }
      this.renderer = FigureRenderer.launch();
    }
    return (await this.renderer).toPng(figure);
  }

  /** Closes the PNG renderer's browser (call at the end of a notebook that showed figures). */
  async close(): Promise<void> {
    const renderer = this.renderer;
    this.renderer = null;
    if (renderer) await (await renderer).close();
  }

  /**
   * A progress bar updated in place (one display_id), throttled; pass it as generate()'s
   * `progress` option. The last update always shows, so the saved notebook says "done".
   */
  progress(label: string): ProgressDisplay {
    const now = this.opts.now ?? (() => performance.now());
    const interval = this.opts.progressInterval ?? 250;
    const target = this.tslab.newDisplay();
    const start = now();
    let last = start; // the initial draw below
    let state = { done: 0, total: 0 };
    const draw = (note?: string): void => {
      const html = progressHtml(label, state.done, state.total, (now() - start) / 1000);
      target.raw('text/html', note ? html.replace(/<\/div>$/, ` · ${note}</div>`) : html);
    };
    const update = ((done: number, total: number): void => {
      state = { done, total };
      const t = now();
      if (done >= total || t - last >= interval) {
        last = t;
        draw();
      }
    }) as ProgressDisplay;
    update.finish = (note?: string) => draw(note);
    draw();
    return update;
  }
}

/** The display helpers for a notebook: `const show = notebookDisplay(tslab)`. */
export function notebookDisplay(tslab: TslabModule, opts: NotebookDisplayOptions = {}): NotebookDisplay {
  return new NotebookDisplay(tslab, opts);
}
