import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav } from '../../src/audio/wavCodec.js';
import { haveTool } from '../helpers/tools.js';
import { displays, figures, haveNbclient, joined, readNotebook, ROOT, runNotebooks, stdoutText, type RunResult } from './notebookRun.js';
import { CHROMIUM_ARGS, pixelStats } from '../helpers/browser.js';
import { startNotebookServer } from './notebookServer.js';

const NOTEBOOKS = join(ROOT, 'notebooks');
// Where CI keeps the executed copies and HTML exports (git-ignored).
const EXECUTED = join(NOTEBOOKS, '.executed');
const cache = mkdtempSync(join(tmpdir(), 'musicgen-nb-cache-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

const executed = (name: string) => readNotebook(join(EXECUTED, name));

describe('committed notebooks', () => {
  it('are stored without outputs and ask for the tslab kernel', () => {
    const names = readdirSync(NOTEBOOKS).filter((f) => f.endsWith('.ipynb'));
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      const nb = readNotebook(join(NOTEBOOKS, name));
      expect((nb.metadata.kernelspec as { name: string }).name, name).toBe('tslab');
      for (const cell of nb.cells) {
        if (cell.cell_type !== 'code') continue;
        expect(cell.outputs, name).toEqual([]);
        expect(cell.execution_count ?? null, name).toBeNull();
      }
      // Every notebook explains itself before its first code cell.
      expect(nb.cells[0].cell_type, name).toBe('markdown');
    }
  });
});

describe.skipIf(!haveNbclient())('notebooks executed headless (scripts/run-notebooks)', () => {
  let run: RunResult;
  beforeAll(() => {
    run = runNotebooks([], cache);
  }, 900_000);

  it('all run without error', () => {
    const names = readdirSync(NOTEBOOKS).filter((f) => f.endsWith('.ipynb'));
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout.trimEnd().split('\n').pop()).toBe(`${names.length} passed, 0 failed`);
    for (const name of names) expect(run.stdout).toContain(`PASS ${name}`);
  });

  it('01-quickstart plays one second of generated audio per prompt and saves it loudness-normalised', () => {
    const nb = executed('01-quickstart.ipynb');
    const players = displays(nb).map((d) => joined(d.data['text/html'])).filter((h) => h.includes('<audio controls'));
    expect(players.length).toBe(2);
    for (const html of players) {
      const wav = decodeWav(Buffer.from(/data:audio\/wav;base64,([^"]+)"/.exec(html)![1], 'base64'), 'player');
      expect(wav.sampleRate).toBe(32000);
      expect(wav.channels[0].length).toBe(32000);
      expect(wav.channels[0].some((v) => Math.abs(v) > 1e-3)).toBe(true);
    }
    // The progress bar ends at its last step.
    expect(displays(nb).some((d) => /(\d+)\/\1 done/.test(joined(d.data['text/html'])))).toBe(true);
    // Saved with loudness normalisation: each file measures closer to -14 LUFS than the raw audio
    // (the random model's noise exceeds full scale, so one gain does not land exactly on -14).
    const saved = [...stdoutText(nb).matchAll(/(-?[\d.]+) LUFS -> (-?[\d.]+) LUFS/g)];
    expect(saved.length).toBe(2);
    for (const [, before, after] of saved) expect(Math.abs(Number(after) + 14)).toBeLessThan(Math.abs(Number(before) + 14));
  });

  it('02-melody-and-chroma shows the chromagram of bach.mp3 as a PNG and a chroma match table', () => {
    const nb = executed('02-melody-and-chroma.ipynb');
    const pngs = displays(nb).filter((d) => typeof d.data['image/png'] === 'string');
    const melody = pngs.find((d) => joined(d.data['text/plain']).includes('chromagram of bach.mp3'));
    expect(melody).toBeDefined();
    const png = Buffer.from(melody!.data['image/png'] as string, 'base64');
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    // IHDR: one column per chroma frame (4 s at a 4096-sample hop = 32 frames), 12 pitch-class rows.
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    expect(height % 12).toBe(0);
    expect(width % 32).toBe(0);
    expect(stdoutText(nb)).toContain('32 chroma frames');
    const rates = displays(nb).map((d) => joined(d.data['text/plain'])).find((t) => t.includes('chroma match rate against bach.mp3'));
    for (const row of ['with bach melody', 'text only \\(baseline\\)']) {
      const rate = Number(new RegExp(`${row}\\s+([\\d.]+)`).exec(rates ?? '')?.[1]);
      expect(rate).toBeGreaterThanOrEqual(0);
      expect(rate).toBeLessThanOrEqual(1);
    }
    expect(displays(nb).filter((d) => joined(d.data['text/html']).includes('<audio controls')).length).toBe(3);
  });

  it('03-sampling-sweeps shows the results DataFrame and temperature x top-k heat maps', () => {
    const nb = executed('03-sampling-sweeps.ipynb');
    const table = displays(nb).map((d) => joined(d.data['text/html'])).find((h) => h.includes('<caption>18 samples'));
    expect(table).toBeDefined();
    expect(table!.match(/<tr>/g)?.length).toBe(1 + 18);
    const heatmaps = figures(nb).filter((f) => f.data[0].type === 'heatmap');
    expect(heatmaps.map((f) => f.title)).toEqual([
      'token entropy (bits): temperature x top-k (tiny)',
      'spectral flatness: temperature x top-k (tiny)',
    ]);
    for (const f of heatmaps) {
      expect(f.data[0].y).toEqual(['T=0.7', 'T=1', 'T=1.3']);
      expect(f.data[0].x).toEqual(['k=10', 'k=50', 'k=250']);
      const z = f.data[0].z as (number | null)[][];
      expect(z.flat().every((v) => typeof v === 'number' && Number.isFinite(v))).toBe(true);
      // One output carries the figure three ways: plotly JSON, HTML with plotly.js, PNG.
      expect(f.html).toContain('Plotly.newPlot');
      expect(Buffer.from(f.png ?? '', 'base64').subarray(1, 4).toString('latin1')).toBe('PNG');
    }
  });

  it('04-model-sizes-and-cfg plots speed and memory against model size and a metric against CFG', () => {
    const nb = executed('04-model-sizes-and-cfg.ipynb');
    const byTitle = new Map(figures(nb).map((f) => [f.title, f]));
    const speed = byTitle.get('Model size vs decode steps/s');
    const memory = byTitle.get('Model size vs peak memory (MB RSS)');
    const cfg = byTitle.get('token entropy (bits) vs CFG coefficient');
    for (const f of [speed, memory]) {
      expect(f).toBeDefined();
      const x = f!.data[0].x as number[];
      expect(x.length).toBe(3); // three model sizes, in increasing parameter count
      expect([...x].sort((a, b) => a - b)).toEqual(x);
      expect(x[2]).toBeGreaterThan(4 * x[0]);
      expect((f!.data[0].y as number[]).every((v) => v > 0)).toBe(true);
    }
    expect(cfg).toBeDefined();
    expect(cfg!.data.length).toBe(3); // one line per model
    for (const trace of cfg!.data) expect(trace.x).toEqual([1, 3, 5]);
  });

  it('05-mos-session shows a MOS table with one row per system, rater screening and a MOS plot', () => {
    const nb = executed('05-mos-session.ipynb');
    const tables = displays(nb).map((d) => joined(d.data['text/html'])).filter((h) => h.includes('<table'));
    const mos = tables.find((h) => h.includes('MOS per system'));
    expect(mos).toBeDefined();
    const rows = [...mos!.matchAll(/<tr><td>([^<]+)<\/td>/g)].map((m) => m[1]);
    expect(rows).toEqual(['tiny k=250 p=0 t=1 cfg=1', 'tiny k=250 p=0 t=1 cfg=3', 'tiny k=250 p=0 t=1 cfg=6']);
    expect(mos).toContain('ci95');
    // The careless simulated rater failed the trap and was screened out.
    const raters = tables.find((h) => h.includes('<caption>raters'));
    expect(raters).toContain('failed 1 of 1 trap checks');
    const [plot] = figures(nb).filter((f) => f.title === 'Mean opinion score per system');
    expect(plot.data[0].x).toEqual(rows);
    expect(plot.data[0].error_y?.array?.every((v) => v > 0)).toBe(true);
    // The simulated preference for CFG 3 comes out on top.
    const y = plot.data[0].y as number[];
    expect(y.indexOf(Math.max(...y))).toBe(1);
  });

  it('06-evaluation caches tokens once and plots perplexity per model, per codebook and against size', () => {
    const nb = executed('06-evaluation.ipynb');
    expect(stdoutText(nb)).toContain('second run: 0 encoded, 12 already cached');
    const byTitle = new Map(figures(nb).map((f) => [f.title, f]));
    const perModel = byTitle.get('Perplexity per model (95 % CI over segments)');
    expect(perModel?.data[0].x).toEqual(['random-tiny-seed0', 'random-tiny-x2-seed0', 'random-tiny-x4-seed0']);
    // Random models: perplexities of the order of the 2048 codes, each with an interval.
    for (const y of perModel!.data[0].y as number[]) expect(y).toBeGreaterThan(100);
    expect(byTitle.get('Perplexity per codebook (95 % CI over segments)')?.data.length).toBe(3);
    const size = byTitle.get('Perplexity vs model size');
    const x = size!.data[0].x as number[];
    expect([...x].sort((a, b) => a - b)).toEqual(x);
  });

  it('executed notebooks stay small: plotly.js travels once per notebook, not once per figure', () => {
    for (const name of ['03-sampling-sweeps', '04-model-sizes-and-cfg', '05-mos-session', '06-evaluation']) {
      const path = join(EXECUTED, `${name}.ipynb`);
      expect(statSync(path).size, name).toBeLessThan(6 * 2 ** 20);
      const htmls = figures(readNotebook(path)).map((f) => f.html);
      expect(htmls.filter((h) => h.length > 1e6).length, name).toBe(1);
    }
  });

  it.skipIf(!haveTool('/usr/bin/chromium', 'opens the executed notebooks in Notebook 6') || !haveTool('jupyter-notebook', 'serves the executed notebooks'))(
    'opened untrusted in Notebook 6, every figure shows as an image with non-blank pixels; trusted, plotly draws them',
    async () => {
      const served = mkdtempSync(join(tmpdir(), 'musicgen-nb-untrusted-'));
      const names = ['03-sampling-sweeps', '04-model-sizes-and-cfg', '05-mos-session'];
      for (const name of names) copyFileSync(join(EXECUTED, `${name}.ipynb`), join(served, `${name}.ipynb`));
      const server = await startNotebookServer(served, join(served, '.home'));
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
      try {
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        const page = await context.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        for (const name of names) {
          const expected = figures(executed(`${name}.ipynb`)).length;
          expect(expected, name).toBeGreaterThan(0);
          await page.goto(server.url(`notebooks/${name}.ipynb`));
          await page.waitForFunction(`window.IPython && IPython.notebook && IPython.notebook._fully_loaded`, undefined, { timeout: 60_000 });
          expect(await page.evaluate('IPython.notebook.trusted'), name).toBe(false);
          const figs = page.locator('.output_subarea .musicgen-figure');
          await expect.poll(() => figs.count(), { timeout: 30_000 }).toBe(expected);
          // Untrusted: the scripts were stripped, so plotly drew nothing; the PNG shows instead.
          expect(await page.locator('.js-plotly-plot').count(), name).toBe(0);
          for (let i = 0; i < expected; i++) {
            const img = figs.nth(i).locator('img');
            await img.scrollIntoViewIfNeeded();
            // A decoded image (page code typed loosely: the test tsconfig has no DOM lib).
            await expect.poll(() => img.evaluate((el) => (el as unknown as { complete: boolean; naturalWidth: number }).naturalWidth), { timeout: 10_000 }).toBeGreaterThan(0);
            const stats = await pixelStats(context, await img.screenshot());
            expect(stats.width, `${name} figure ${i}`).toBeGreaterThan(300);
            expect(stats.variance, `${name} figure ${i}`).toBeGreaterThan(100);
            expect(stats.nonBackground, `${name} figure ${i}`).toBeGreaterThan(0.02);
          }
          // Trusted (Notebook's own Trust dialog, which saves and reloads): plotly.js, carried by
          // the first figure only, draws every figure in place of its PNG.
          await page.evaluate('IPython.notebook.trust_notebook()');
          await page.locator('.modal-footer button', { hasText: 'Trust' }).click();
          await page.waitForFunction(`window.IPython && IPython.notebook && IPython.notebook._fully_loaded && IPython.notebook.trusted`, undefined, { timeout: 60_000 });
          await expect.poll(() => page.locator('.musicgen-figure.js-plotly-plot .main-svg').count(), { timeout: 60_000 }).toBeGreaterThanOrEqual(expected);
          expect(await page.locator('.musicgen-figure.js-plotly-plot').count(), name).toBe(expected);
          expect(await page.locator('.musicgen-figure img').count(), name).toBe(0);
        }
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
        await server.close();
        rmSync(served, { recursive: true, force: true });
      }
    },
    240_000,
  );

  it.skipIf(!haveTool('/usr/bin/chromium', 'opens the HTML exports of the executed notebooks'))(
    'HTML exports play the audio and draw every plotly figure offline',
    async () => {
      const exported = (name: string) => join(EXECUTED, `${name}.html`);
      if (!existsSync(exported('01-quickstart'))) {
        // nbconvert is optional for the runner; CI installs it (python3-nbconvert).
        if (process.env.CI === 'true') throw new Error('no HTML export: .ci/run must install python3-nbconvert');
        process.stdout.write('[skip] nbconvert not installed: no HTML exports to check\n');
        return;
      }
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: CHROMIUM_ARGS,
      });
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        const expected: Record<string, { plots: number; audio: number }> = {
          '01-quickstart': { plots: 0, audio: 2 },
          '03-sampling-sweeps': { plots: 2, audio: 0 },
          '04-model-sizes-and-cfg': { plots: 3, audio: 0 },
          '05-mos-session': { plots: 1, audio: 0 },
          '06-evaluation': { plots: 3, audio: 0 },
        };
        for (const [name, want] of Object.entries(expected)) {
          await page.goto(`file://${exported(name)}`);
          // plotly draws each figure into an SVG once its bundle has run.
          // (Page code as strings: the test tsconfig has no DOM lib.)
          if (want.plots > 0) await page.waitForFunction(`document.querySelectorAll('.js-plotly-plot .main-svg').length >= ${want.plots}`, undefined, { timeout: 60_000 });
          const got = (await page.evaluate(`({
            plots: document.querySelectorAll('.js-plotly-plot').length,
            audio: [...document.querySelectorAll('audio')].filter((a) => a.src.startsWith('data:audio/wav;base64,')).length,
          })`)) as { plots: number; audio: number };
          expect(got, name).toEqual(want);
        }
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    180_000,
  );
});
