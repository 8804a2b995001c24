import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../../src/app/serve.js';
import { decodeWav } from '../../src/audio/wavCodec.js';
import { synthesizedPreset } from '../helpers/models.js';
import { CHROMIUM, CHROMIUM_ARGS, pixelStats } from '../helpers/browser.js';
import { haveTool } from '../helpers/tools.js';
import { toneWav } from './fixture.js';

const MAX_UPLOAD = 1024 * 1024;
/** Page changes wait this long at most (two cores are shared with the worker and other tests). */
const POLL = { timeout: 15_000 };


/** Opt-in: keeps a screenshot for a look (MUSICGEN_APP_SHOTS=/tmp/shots). */
function keepShot(name: string, png: Buffer): void {
  const dir = process.env.MUSICGEN_APP_SHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), png);
}

/** Records every value the progress bar takes (a MutationObserver, installed from the test). */
async function recordProgress(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    window.__progress = [];
    const bar = document.getElementById('progress');
    new MutationObserver(() => window.__progress.push([bar.value, bar.max])).observe(bar, { attributes: true });
  })()`);
}

async function fillForm(page: Page, fields: Record<string, string>): Promise<void> {
  for (const [id, v] of Object.entries(fields)) await page.locator(`#${id}`).fill(v);
}

describe.skipIf(!haveTool(CHROMIUM, 'the generation page is checked in a real browser'))('musicgen app in a real browser (tiny models)', () => {
  let app: RunningApp;
  let ctx: BrowserContext;
  let userDataDir: string;
  let melodyModel: string;
  const errors: string[] = [];

  beforeAll(async () => {
    const tiny = synthesizedPreset('tiny');
    const melody = synthesizedPreset('melody-tiny');
    melodyModel = 'melody-tiny-0';
    app = await startApp({ modelsDir: dirname(melody), defaultModelDir: tiny, port: 0, host: '127.0.0.1', threads: 1, maxUploadBytes: MAX_UPLOAD, queueLimit: 1, log: () => undefined });
    userDataDir = mkdtempSync(join(tmpdir(), 'musicgen-app-chromium-'));
    ctx = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      acceptDownloads: true,
      args: [
        ...CHROMIUM_ARGS,
        // A synthetic microphone (a beep) for the recording button, without a permission prompt.
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
      ],
      viewport: { width: 1000, height: 1100 },
    });
    await ctx.grantPermissions(['microphone'], { origin: app.url });
    ctx.on('page', (p) => p.on('pageerror', (e) => errors.push(String(e))));
  });

  afterAll(async () => {
    await ctx?.close();
    await app?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    expect(errors).toEqual([]);
  });

  async function open(): Promise<Page> {
    const page = await ctx.newPage();
    await page.goto(app.url);
    return page;
  }

  it('fill, submit, progress bar moves, player appears; the download decodes at the requested duration; screenshots are not blank', async () => {
    const page = await open();
    const before = await page.screenshot({ fullPage: true });
    await recordProgress(page);
    await fillForm(page, { description: 'lofi drums with warm piano', duration: '1', seed: '5' });
    expect(await page.locator('#durationValue').textContent()).toBe('1 s');
    await page.locator('#submit').click();
    await page.locator('#results audio').waitFor({ timeout: 60_000 });
    expect(await page.locator('#message').textContent()).toBe('Done.');
    const seen = (await page.evaluate('window.__progress')) as [number, number][];
    // The bar moved: at least one value between empty and full, then full.
    expect(seen.some(([v, max]) => v > 0 && v < max)).toBe(true);
    expect(seen.at(-1)![0]).toBe(seen.at(-1)![1]);
    expect(await page.locator('#progressText').textContent()).toMatch(/^step 53 \/ 53/);
    expect(await page.locator('pre.params').textContent()).toContain('"seed": 5');
    // Waveform and spectrogram loaded.
    for (const cls of ['waveform', 'spectrogram']) {
      await expect.poll(() => page.evaluate(`document.querySelector('img.${cls}').naturalWidth`), POLL).toBeGreaterThan(0);
    }
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('a.download').click()]);
    const file = join(userDataDir, 'download.wav');
    await download.saveAs(file);
    expect(download.suggestedFilename()).toBe('musicgen-default-seed5-0.wav');
    const wav = decodeWav(readFileSync(file), file);
    expect(wav.channels[0].length / wav.sampleRate).toBe(1);
    const after = await page.screenshot({ fullPage: true });
    keepShot('before.png', before);
    keepShot('after.png', after);
    const [a, b] = [await pixelStats(ctx, before), await pixelStats(ctx, after)];
    for (const s of [a, b]) {
      expect(s.variance).toBeGreaterThan(100);
      expect(s.nonBackground).toBeGreaterThan(0.05);
    }
    // The results (pictures) add colour: the second screenshot is busier.
    expect(b.nonBackground).toBeGreaterThan(a.nonBackground);
    await page.close();
  });

  it('Interrupt stops a long run and the page says so; the queue is visible and a full queue says so', async () => {
    const page = await open();
    await fillForm(page, { description: 'a long piece', duration: '120' });
    await page.locator('#submit').click();
    await expect.poll(() => page.evaluate(`document.getElementById('progress').value`), { timeout: 30_000 }).toBeGreaterThan(20);
    // A reload picks the running job up again (the tab remembers it).
    const before = (await page.evaluate(`document.getElementById('progress').value`)) as number;
    await page.reload();
    await expect.poll(() => page.evaluate(`document.getElementById('progress').value`), POLL).toBeGreaterThan(before);
    expect(await page.locator('#submit').isDisabled()).toBe(true);
    // Meanwhile a second tab queues behind it and a third finds the queue (1 place) full.
    const second = await open();
    await expect.poll(() => second.locator('#queueInfo').textContent(), POLL).toBe('Queue: 1 generating (at most 1 can wait)');
    await fillForm(second, { duration: '1' });
    await second.locator('#submit').click();
    await expect.poll(() => second.locator('#message').textContent(), POLL).toBe('Waiting in the queue: position 1 of 1 (at most 1 wait).');
    const third = await open();
    await fillForm(third, { duration: '1' });
    await third.locator('#submit').click();
    await expect.poll(() => third.locator('#message').textContent(), POLL).toMatch(/^the queue for embedded default .* is full \(1 waiting besides the running one\)/);
    await second.locator('#interrupt').click();
    await expect.poll(() => second.locator('#message').textContent(), POLL).toBe('Interrupted: removed from the queue before it started.');
    await page.bringToFront(); // background tabs are throttled
    const t0 = Date.now();
    await page.locator('#interrupt').click();
    // A locator wait (not expect.poll's backoff) so the measured time is the page's.
    await page.locator('#message', { hasText: 'Interrupted: the generation was stopped.' }).waitFor({ timeout: 10_000 });
    const latency = Date.now() - t0;
    expect(latency).toBeLessThan(3000);
    expect(await page.locator('#results').textContent()).toBe('');
    expect(await page.locator('#submit').isEnabled()).toBe(true);
    expect(await page.locator('#interrupt').isDisabled()).toBe(true);
    process.stdout.write(`browser interrupt: message shown ${latency} ms after the click\n`);
    for (const p of [page, second, third]) await p.close();
  });

  it('a negative field value shows the library\'s message next to the field', async () => {
    const page = await open();
    // A remembered job that no longer exists (expired, or an earlier server run) is forgotten quietly.
    await page.evaluate(`sessionStorage.setItem('musicgen-job', 'AAAAAAAAAAAAAAAAAAAAAA')`);
    await page.reload();
    await expect.poll(() => page.evaluate(`sessionStorage.getItem('musicgen-job')`), POLL).toBe(null);
    expect(await page.locator('#submit').isEnabled()).toBe(true);
    expect(await page.locator('#message').textContent()).toBe('');
    await fillForm(page, { topK: '-5' });
    await page.locator('#submit').click();
    await expect.poll(() => page.locator('.field-error[data-for=topK]').textContent(), POLL).toMatch(/^topK must be an integer >= 0/);
    expect(await page.locator('.field-error[data-for=temperature]').textContent()).toBe('');
    await fillForm(page, { topK: '250', temperature: '-1' });
    await page.locator('#submit').click();
    await expect.poll(() => page.locator('.field-error[data-for=temperature]').textContent(), POLL).toMatch(/^temperature must be a finite number >= 0/);
    expect(await page.locator('.field-error[data-for=topK]').textContent()).toBe('');
    expect(await page.locator('#results').textContent()).toBe('');
    await page.close();
  });

  it('a melody file drives the melody model: chromagram and match rate', async () => {
    const page = await open();
    await page.locator('#model').selectOption(melodyModel);
    await page.locator('#melodyFile').setInputFiles({ name: 'melody.wav', mimeType: 'audio/wav', buffer: Buffer.from(toneWav(2, { sampleRate: 44100, freq: 261.63 })) });
    await expect.poll(() => page.locator('#melodyInfo').textContent(), POLL).toBe('uploaded: 2.0 s, 44100 Hz, 1 channel');
    await fillForm(page, { description: 'a C major tune', duration: '1' });
    await page.locator('#submit').click();
    await page.locator('.melody img.chromagram').waitFor({ timeout: 60_000 });
    expect(await page.locator('p.match').textContent()).toMatch(/^Chroma match rate with the melody: \d+\.\d %$/);
    expect(await page.locator('pre.params').textContent()).toContain('"seconds": 2');
    keepShot('melody.png', await page.screenshot({ fullPage: true }));
    await page.close();
  });

  it('oversized and non-audio uploads are refused with a clear message', async () => {
    const page = await open();
    await page.locator('#continuationFile').setInputFiles({ name: 'notes.wav', mimeType: 'audio/wav', buffer: Buffer.from('these are not audio samples') });
    await expect.poll(() => page.locator('.field-error[data-for=continuation]').textContent(), POLL).toMatch(
      /^this file is not audio the app can read \(WAV, MP3, FLAC or Ogg Vorbis\)/,
    );
    expect(await page.locator('#continuation').inputValue()).toBe('');
    const big = Buffer.from(toneWav(10, { sampleRate: 44100, channels: 2 }));
    await page.locator('#melodyFile').setInputFiles({ name: 'big.wav', mimeType: 'audio/wav', buffer: big });
    await expect.poll(() => page.locator('.field-error[data-for=melody]').textContent(), POLL).toBe('the file is larger than the 1 MB upload limit');
    // The server enforces the same limit when the page's check is bypassed.
    const res = (await page.evaluate(`(async () => {
      const csrf = document.querySelector('meta[name=csrf-token]').content;
      const r = await fetch('/api/upload?kind=melody', { method: 'POST', headers: { 'x-csrf-token': csrf, 'content-type': 'application/octet-stream' }, body: new Uint8Array(${MAX_UPLOAD + 1}) });
      return { status: r.status, body: await r.json() };
    })()`)) as { status: number; body: { error: string; field: string } };
    expect(res).toEqual({ status: 413, body: { error: 'the file is larger than the 1 MB upload limit', field: 'melody' } });
    await page.close();
  });

  it('records a melody from the microphone (fake device) and uploads it as WAV', async () => {
    const page = await open();
    await page.locator('#melodyRecord').click();
    await expect.poll(async () => `${await page.locator('#melodyRecord').textContent()}${await page.locator('.field-error[data-for=melody]').textContent()}`, POLL).toBe('Stop recording');
    await page.waitForTimeout(1200);
    await page.locator('#melodyRecord').click();
    await expect.poll(() => page.locator('#melodyInfo').textContent(), POLL).toMatch(/^uploaded: [1-9]\d*\.\d s, \d+ Hz/);
    await page.close();
  });
});
