import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { FigureRenderError } from '../errors.js';
import { notebookBundle, plotlyBundleSource, type NotebookMimeBundle } from './figureHtml.js';
import type { PlotlyFigure } from './plotlyFigure.js';

/** Debian's chromium (apt install chromium). */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** Flags that keep a headless chromium off the network and quiet on shared CI machines. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface FigureRendererOptions {
  /** Chromium executable (default /usr/bin/chromium). */
  executablePath?: string;
}

export interface RenderOptions {
  width?: number;
  height?: number;
  /** Device pixel ratio of the image (2 for crisp slides). Default 1. */
  scale?: number;
}

/**
 * Renders plotly figures to PNG (or SVG) in headless chromium through playwright-core. One page
 * with plotly loaded stays open for the renderer's life: the first figure pays the browser start
 * and the bundle parse (seconds), later ones take about 0.1 s. Call close() when done.
 */
export class FigureRenderer {
  private constructor(
    private readonly context: BrowserContext,
    private readonly page: Page,
    private readonly userDataDir: string,
  ) {}

  static async launch(opts: FigureRendererOptions = {}): Promise<FigureRenderer> {
    let chromium: typeof import('playwright-core').chromium;
    try {
      ({ chromium } = await import('playwright-core'));
    } catch (err) {
      throw new FigureRenderError('PNG export needs the playwright-core package: npm install playwright-core (and apt install chromium)', { cause: err });
    }
    const executablePath = opts.executablePath ?? DEFAULT_CHROMIUM;
    const userDataDir = mkdtempSync(join(tmpdir(), 'musicgen-figures-'));
    let context: BrowserContext;
    try {
      // A fresh profile per renderer (playwright passes it as --user-data-dir).
      context = await chromium.launchPersistentContext(userDataDir, { executablePath, headless: true, args: CHROMIUM_ARGS });
    } catch (err) {
      rmSync(userDataDir, { recursive: true, force: true });
      throw new FigureRenderError(`cannot start chromium at ${executablePath} (${(err as Error).message.split('\n')[0]}); install it (apt install chromium) or pass executablePath`, {
        cause: err,
      });
    }
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.setContent('<!doctype html><html><head><meta charset="utf-8"></head><body></body></html>');
      await page.addScriptTag({ content: plotlyBundleSource() });
      return new FigureRenderer(context, page, userDataDir);
    } catch (err) {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
      throw new FigureRenderError(`chromium started but plotly could not be loaded: ${(err as Error).message}`, { cause: err });
    }
  }

  private async toImage(figure: PlotlyFigure, format: 'png' | 'svg', opts: RenderOptions): Promise<string> {
    // Passed as JSON text: playwright's argument types recurse too deeply on figure JSON.
    const args = JSON.stringify({ figure, format, width: opts.width ?? 900, height: opts.height ?? 500, scale: opts.scale ?? 1 });
    try {
      return await this.page.evaluate(async (json: string) => {
        // Runs in the page: plotly's toImage draws offscreen and returns a data URL.
        const a = JSON.parse(json) as { figure: { data: unknown; layout: unknown }; format: string; width: number; height: number; scale: number };
        const plotly = (globalThis as unknown as { Plotly: { toImage(fig: unknown, o: unknown): Promise<string> } }).Plotly;
        return plotly.toImage({ data: a.figure.data, layout: a.figure.layout }, { format: a.format, width: a.width, height: a.height, scale: a.scale });
      }, args);
    } catch (err) {
      throw new FigureRenderError(`plotly could not render the figure: ${(err as Error).message.split('\n')[0]}`, { cause: err });
    }
  }

  /** PNG bytes of a figure. */
  async toPng(figure: PlotlyFigure, opts: RenderOptions = {}): Promise<Buffer> {
    const url = await this.toImage(figure, 'png', opts);
    return Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');
  }

  /** SVG text of a figure. */
  async toSvg(figure: PlotlyFigure, opts: RenderOptions = {}): Promise<string> {
    const url = await this.toImage(figure, 'svg', opts);
    return decodeURIComponent(url.slice(url.indexOf(',') + 1));
  }

  /** A notebook output (plotly JSON + HTML + this renderer's PNG fallback) for one figure. */
  async notebookBundle(figure: PlotlyFigure, opts: RenderOptions = {}): Promise<NotebookMimeBundle> {
    return notebookBundle(figure, await this.toPng(figure, opts));
  }

  async close(): Promise<void> {
    try {
      await this.context.close();
    } finally {
      rmSync(this.userDataDir, { recursive: true, force: true });
    }
  }
}
