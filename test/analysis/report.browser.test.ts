import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FigureRenderer } from '../../src/analysis/figures/figureRenderer.js';
import { notebookBundle, standaloneFigureHtml } from '../../src/analysis/figures/figureHtml.js';
import { cfgFigure, temperatureTopKHeatmap } from '../../src/analysis/figures/sweepFigures.js';
import type { SweepResultRow } from '../../src/analysis/sweepResults.js';
import { writeAudio } from '../../src/audio/write.js';
import { register as registerSweep } from '../../src/cli/sweep.js';
import { synthesizedPreset } from '../helpers/models.js';
import { CHROMIUM, CHROMIUM_ARGS, pixelStats } from '../helpers/browser.js';
import { haveTool } from '../helpers/tools.js';

/** Each page parses the 4.8 MB plotly bundle: seconds when idle, tens of seconds on a loaded 2-core box. */
const BROWSER_TIMEOUT = 240_000;


describe.skipIf(!haveTool(CHROMIUM, 'sweep reports and PNG export are checked in a real browser'))('sweep report in headless chromium', () => {
  let out: string;
  let rows: SweepResultRow[];
  let browser: BrowserContext;
  let userDataDir: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-report-'));
    out = join(dir, 'out');
    // A melody (C then G, 0.5 s) so the chroma match column and the chromagram figure exist.
    const sr = 32000;
    const melody = Float32Array.from({ length: sr / 2 }, (_, i) => 0.4 * Math.sin((2 * Math.PI * (i < sr / 4 ? 261.63 : 392) * i) / sr));
    await writeAudio(join(dir, 'melody.wav'), [melody], sr, { strategy: 'none' });
    writeFileSync(
      join(dir, 'spec.json'),
      JSON.stringify({
        name: 'report-check',
        models: [{ name: 'tiny', path: synthesizedPreset('tiny') }],
        prompts: [{ text: 'soft piano', melody: 'melody.wav' }],
        temperature: [0.7, 1],
        topK: [50, 250],
        cfgCoef: [1, 3],
        seeds: [3],
        duration: 0.4,
        strategy: 'peak',
      }),
    );
    // Through the CLI command itself (registered on a bare program: commands.ts is the lead's).
    const program = new Command().exitOverride();
    registerSweep(program);
    await program.parseAsync(['node', 'musicgen', 'sweep', join(dir, 'spec.json'), '--out', out, '--max-batch', '8', '--threads', '1', '--quiet']);
    rows = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as SweepResultRow[];
    userDataDir = mkdtempSync(join(tmpdir(), 'sweep-report-chromium-'));
    browser = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  }, BROWSER_TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('report.html: every figure draws its SVG, no console errors, every audio player loads', async () => {
    expect(rows).toHaveLength(8);
    expect(rows.every((r) => r.chromaMatchRate !== null && r.chromaMatchRate >= 0 && r.chromaMatchRate <= 1)).toBe(true);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(join(out, 'report.html')).href, { waitUntil: 'load' });
    const figures = await page.locator('.plotly-figure').count();
    // 4 model-size, 6 CFG (with chroma match), 1 heat map, waveform + spectrogram + chromagram.
    expect(figures).toBe(14);
    await expect
      .poll(() => page.evaluate(`[...document.querySelectorAll('.plotly-figure')].filter((d) => d.querySelector('.main-svg')).length`), { timeout: 30_000 })
      .toBe(figures);
    const players = await page.locator('audio').count();
    expect(players).toBe(8);
    await expect
      .poll(() => page.evaluate(`[...document.querySelectorAll('audio')].filter((a) => a.readyState >= 1 && !a.error).length`), { timeout: 20_000 })
      .toBe(players);
    const durations = (await page.evaluate(`[...document.querySelectorAll('audio')].map((a) => a.duration)`)) as number[];
    for (const d of durations) expect(d).toBeCloseTo(0.4, 1);
    expect(await page.locator('table.summary tbody tr').count()).toBe(8);
    expect(errors).toEqual([]);
    await page.close();
  }, BROWSER_TIMEOUT);

  it('PNG export through one long-lived page is not blank; notebook bundles carry JSON, HTML and PNG', async () => {
    const renderer = await FigureRenderer.launch({ executablePath: CHROMIUM });
    const page = await browser.newPage();
    try {
      const line = await renderer.toPng(cfgFigure(rows, 'entropyBits'), { width: 640, height: 400 });
      const heat = await renderer.toPng(temperatureTopKHeatmap(rows, 'entropyBits'), { width: 640, height: 400 });
      for (const png of [line, heat]) {
        expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
        const stats = await pixelStats(page, png);
        expect(stats.width).toBe(640);
        expect(stats.variance).toBeGreaterThan(100);
        expect(stats.nonBackground).toBeGreaterThan(0.02);
      }
      const svg = await renderer.toSvg(cfgFigure(rows, 'entropyBits'));
      expect(svg).toContain('<svg');
      const bundle = notebookBundle(cfgFigure(rows, 'entropyBits'), line);
      expect(Object.keys(await renderer.notebookBundle(cfgFigure(rows, 'distinctRatio'))).sort()).toEqual(Object.keys(bundle).sort());
      expect(Object.keys(bundle).sort()).toEqual(['application/vnd.plotly.v1+json', 'image/png', 'text/html']);
      expect(Buffer.from(bundle['image/png']!, 'base64').equals(line)).toBe(true);
      expect(JSON.parse(JSON.stringify(bundle['application/vnd.plotly.v1+json']))).toEqual(cfgFigure(rows, 'entropyBits'));

      // The notebook HTML draws offline (each page parses the 4.8 MB bundle, so only this one;
      // report.html above covers the standalone page's inline bundle).
      const p = await browser.newPage();
      const errors: string[] = [];
      p.on('pageerror', (e) => errors.push(e.message));
      await p.setContent(bundle['text/html']);
      await expect.poll(() => p.locator('.main-svg').count(), { timeout: 30_000 }).toBeGreaterThan(0);
      expect(errors).toEqual([]);
      await p.close();
      const standalone = standaloneFigureHtml([cfgFigure(rows, 'entropyBits')], 'a <title>');
      expect(standalone).toContain('window.Plotly = Plotly');
      expect(standalone).toContain('<title>a &lt;title&gt;</title>');
      expect(standalone).not.toMatch(/src="http/);
    } finally {
      await page.close();
      await renderer.close();
    }
  }, BROWSER_TIMEOUT);
});
